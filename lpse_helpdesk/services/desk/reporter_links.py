""""Tiket saya": a reporter proves an address by a mailed link and sees every ticket of it.

The link carries the unit, the address (case-folded) and its end, signed under a key of its
own purpose (so it can stand in for no staff token, ticket token or cookie); it lives
`LINK_MINUTES`. Whoever holds it may list the address's tickets of that unit and open any of
them: the listing gives each ticket's reporter token, derived as the first mail's link was
(`TokenSigner.reporter_token`), which is also how a lost token is recovered.

The tickets are found in the desk's read model (`ticket_state.reporter_email`), never by
decoding events, so an erased person's rows are what the erasure left. The mail is composed
by notify's templates and leaves by the unit's own mail route (`notify/outgoing.py`), not to an
address notify holds back (stopped, bounced, over its hourly count: `limits.held_back`); it is
sent after the request is answered, so known and unknown addresses get the same answer in the
same time.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import NamedTuple

from ...platform import paging
from ...platform.observability import log_event
from ...platform.store import ServiceStore
from ..notify import limits, outgoing
from ..notify.messages import render
from . import reporter_view

log = logging.getLogger("lpse_helpdesk.reporter_links")
LINK_MINUTES = 30
HIDDEN_TYPES = tuple(t.__struct_config__.tag for t in reporter_view.STAFF_ONLY)


class Holder(NamedTuple):
    """Who a valid link proves: an address of a unit."""

    tenant: str
    email: str  # case-folded


class LinkedTicket(NamedTuple):
    number: str
    subject: str
    status: str
    received_at: str
    updated_at: str  # the last event the reporter sees
    access_token: str  # the ticket's reporter token: the link proves the address


def address_key(email: str) -> str:
    return email.strip().casefold()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(secret: bytes, body: str) -> str:
    key = hashlib.sha256(b"reporter-link:" + secret).digest()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def issue(signer, tenant: str, email: str, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + LINK_MINUTES * 60)
    body = f"{expires}.{_b64((tenant + chr(10) + address_key(email)).encode())}"
    return f"{body}.{_mac(signer.secret, body)}"


def holder(signer, link: str, now: float | None = None) -> Holder | None:
    """Whom the link proves, or None (forged, malformed or expired)."""
    body, _, mac = link.strip().rpartition(".")
    expires, _, payload = body.partition(".")
    if not (mac.isascii() and expires.isdigit() and any(
            hmac.compare_digest(mac, _mac(key.secret, body)) for key in signer.keys)):
        return None
    if int(expires) < (time.time() if now is None else now):
        return None
    try:
        tenant, _, email = base64.urlsafe_b64decode(
            payload + "=" * (-len(payload) % 4)).decode().partition("\n")
    except ValueError:
        return None
    return Holder(tenant, email) if tenant and email else None


def tickets_of(store: ServiceStore, signer, tenant: str, email: str, after: str | None = None,
               limit: int = paging.DEFAULT_LIMIT) -> paging.Page[LinkedTicket]:
    """A page of the address's tickets in the unit, newest first (the ticket id breaking ties;
    `platform/paging.py`)."""
    p, marks = store.prefix, ", ".join("?" * len(HIDDEN_TYPES))
    condition, params, order = paging.keyset(("s.received_at", "s.ticket_id"), after, True)
    rows = store.query(
        f"SELECT s.ticket_id, s.number, s.subject, s.status, s.received_at,"
        f" (SELECT MAX(e.occurred_at) FROM {p}_ticket_events e WHERE e.ticket_id = s.ticket_id"
        f" AND e.type NOT IN ({marks})), t.token_sha256"
        f" FROM {p}_ticket_state s JOIN {p}_tickets t ON t.ticket_id = s.ticket_id"
        f" WHERE s.tenant = ? AND s.reporter_email = ? AND {condition} ORDER BY {order}"
        f" LIMIT ?", (*HIDDEN_TYPES, tenant, address_key(email), *params,
                      paging.check_limit(limit) + 1))
    found = paging.page_from_rows(rows, lambda row: (row[4], row[0]), limit)
    return paging.Page([LinkedTicket(number, subject, status, received, updated or received,
                                     signer.reporter_token(uuid.UUID(ticket_id), token_sha256))
                        for ticket_id, number, subject, status, received, updated, token_sha256
                        in found.items], found.next)


async def mail_link(service, tenant: str, email: str) -> bool:
    """Mail the link if the address has tickets in the unit; True when a mail left."""
    standard = service.standards.get(tenant)
    settings = service.settings
    if standard is None:
        return False
    found = await asyncio.to_thread(tickets_of, service.store, service.signer, tenant, email,
                                    None, 1)
    if not found.items:
        return False
    # notify's stop list, bounces and hourly count hold for this mail too (the answer to the
    # request is the same: the reporter learns nothing of the address from it)
    why = await asyncio.to_thread(limits.held_back, settings, email, datetime.now(UTC))
    if why:
        log_event(log, "tautan tiket saya tidak dikirim", tenant=tenant, reason=why)
        return False
    public_url = (settings.public_url or f"http://{settings.http_host}:{settings.http_port}")
    link = f"{public_url}/portal/tiket-saya/masuk?tautan={issue(service.signer, tenant, email)}"
    subject, text, html = render("reporter_link", {"unit": standard, "link_url": link,
                                                   "minutes": LINK_MINUTES})
    route = outgoing.route(standard)
    if route == outgoing.HELPDESK and not settings.smtp_url:
        log_event(log, "tautan tiket saya tidak terkirim: tidak ada server surat",
                  logging.WARNING, tenant=tenant)
        return False
    message = outgoing.compose(uuid.uuid4().hex, standard, email.strip(), subject, text, html,
                               outgoing.Thread("", ""), settings, public_url, None)
    try:
        async with outgoing.mailer_for(route, service.standards, settings.smtp_url) as mailer:
            await mailer.send(message)
    except Exception as exc:  # noqa: BLE001 - the reporter asks again; nothing to retry
        log_event(log, "tautan tiket saya gagal terkirim", logging.WARNING, tenant=tenant,
                  error=repr(exc))
        return False
    return True
