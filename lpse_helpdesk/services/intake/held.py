"""Mail held for staff: it names a ticket but does not prove it answers the helpdesk's mail, or
comes from someone other than the reporter. Staff read it and either add it to the ticket or
turn it into a new ticket, once: both outcomes claim the key `held:<id>` in `mail_seen` in the
transaction that records them, so two clicks (or two clerks) cannot do both or either twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from ... import refusals
from ...platform import paging
from ...platform.store import IntegrityError, Write, utc_text
from ...schemas.events import AttachmentRef
from .application import DuplicateMail, IntakeService
from .mail import ParsedMail
from .mailbox import add_reply, ticket_from_mail


class HeldMail(msgspec.Struct, frozen=True, kw_only=True):
    """A held mail as staff see it; `status` is `held` until one of them decides."""

    id: str
    tenant: str
    number: str  # the ticket the subject names
    reason: str  # why it was held
    received_at: datetime
    sender_name: str
    sender_email: str
    subject: str
    body: str
    message_id: str | None = None
    fields: dict[str, str] = {}
    attachments: list[AttachmentRef] = []
    status: str = "held"  # held | accepted (added to `number`) | new_ticket
    outcome_number: str = ""  # the ticket it went to


class HeldNotFound(refusals.NotFound, LookupError):
    def __init__(self, held_id: str):
        super().__init__("Surat tertahan tidak ditemukan")
        self.args = (held_id,)


class AlreadyDecided(refusals.Conflict):
    """Staff already decided this held mail; the argument is the ticket it went to."""

    def __init__(self, number: str):
        super().__init__(f"Surat ini sudah diputuskan petugas: tiket {number}")
        self.args = (number,)


def hold(service: IntakeService, tenant: str, mail: ParsedMail, refs: list[AttachmentRef],
         reason: str) -> str:
    """Keep the mail for staff; its Message-ID is remembered as `held:<id>` so a resent copy
    is not held twice. DuplicateMail when that Message-ID was already handled."""
    held = HeldMail(
        id=uuid.uuid4().hex, tenant=tenant, number=mail.thread_number or "", reason=reason,
        received_at=service.now(), sender_name=mail.sender_name, sender_email=mail.sender_email,
        subject=mail.subject, body=mail.body, message_id=mail.message_id, fields=mail.fields,
        attachments=refs)
    p = service.store.prefix
    try:
        service.store.execute([
            Write(f"INSERT INTO {p}_held_mail VALUES (?, ?, ?, ?, ?)",
                  (held.id, tenant, held.number, utc_text(held.received_at),
                   msgspec.json.encode(held).decode())),
            *service._seen(mail.message_id, f"held:{held.id}")])  # noqa: SLF001
    except IntegrityError:
        if mail.message_id and service.mail_seen(mail.message_id):
            raise DuplicateMail(service.mail_seen(mail.message_id)) from None
        raise
    return held.id


def _with_status(service: IntakeService, held: HeldMail) -> HeldMail:
    went_to = service.mail_seen(f"held:{held.id}")
    if not went_to:
        return held
    return msgspec.structs.replace(
        held, status="accepted" if went_to == held.number else "new_ticket",
        outcome_number=went_to)


def listing(service: IntakeService, tenant: str, waiting_only: bool = True,
            after: str | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[HeldMail]:
    """A page of the unit's held mails, newest first (the id breaking ties); only those still
    waiting unless `waiting_only` is false."""
    p = service.store.prefix
    condition, params, order = paging.keyset(("h.received_at", "h.id"), after, descending=True)
    rows = service.store.query(
        f"SELECT h.received_at, h.id, h.body FROM {p}_held_mail h LEFT JOIN {p}_mail_seen s"
        f" ON s.message_id = 'held:' || h.id WHERE h.tenant = ? AND {condition}"
        + (" AND s.message_id IS NULL" if waiting_only else "")
        + f" ORDER BY {order} LIMIT ?", (tenant, *params, paging.check_limit(limit) + 1))
    found = paging.page_from_rows(rows, lambda row: (row[0], row[1]), limit)
    return paging.Page([_with_status(service, msgspec.json.decode(body, type=HeldMail))
                        for _, _, body in found.items], found.next)


def get(service: IntakeService, held_id: str, tenant: str | None = None) -> HeldMail:
    rows = service.store.query(
        f"SELECT body FROM {service.store.prefix}_held_mail WHERE id = ?", (held_id,))
    held = msgspec.json.decode(rows[0][0], type=HeldMail) if rows else None
    if held is None or (tenant is not None and held.tenant != tenant):
        raise HeldNotFound(held_id)
    return _with_status(service, held)


def _undecided(service: IntakeService, held_id: str) -> HeldMail:
    held = get(service, held_id)
    if held.status != "held":
        raise AlreadyDecided(held.outcome_number)
    return held


def accept(service: IntakeService, held_id: str, staff: str) -> str:
    """Add the held mail to the ticket it names; the ticket's number. A conflict when that
    number is not a ticket of the unit (then it can only become a new ticket)."""
    held = _undecided(service, held_id)
    text = (f"[Surat dari {held.sender_email}, diperiksa dan diterima petugas {staff}]\n\n"
            f"{held.body}")[:20_000]
    try:
        add_reply(service, held.tenant, held.number, text, held.attachments, f"held:{held.id}")
    except DuplicateMail as exc:
        raise AlreadyDecided(exc.args[0]) from None
    except LookupError:
        raise refusals.Conflict(f"Tiket {held.number} tidak ada di unit ini; jadikan surat ini "
                                "tiket baru", field="number") from None
    return held.number


def new_ticket(service: IntakeService, held_id: str, staff: str) -> str:
    """Turn the held mail into a new ticket of its unit (the standard's requirements apply
    as to any mail); the new ticket's number."""
    held = _undecided(service, held_id)
    ticket = ticket_from_mail(held.tenant, held.sender_name, held.sender_email, held.subject,
                              held.body, held.fields, held.attachments)
    try:
        return service.submit(ticket, None, held.attachments, f"held:{held.id}",
                              logged_by=staff).created.number
    except DuplicateMail as exc:
        raise AlreadyDecided(exc.args[0]) from None
