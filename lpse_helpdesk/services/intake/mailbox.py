"""What a mail from outside may do to a ticket.

Mail written by a program (an out-of-office reply, a bounce, the helpdesk's own notification
delivered back to it) makes nothing: answering it starts a loop. A mail is added to a ticket
only when it proves it answers the helpdesk's mail about that ticket, by naming in In-Reply-To
or References one of the Message-IDs notify sent to the reporter, and comes from the
reporter's address; a From header alone proves nothing, anyone can write it.

notify's Message-IDs are `<lpse.<number>.<mail id>@<domain>>` (notify/threads.py), the mail id
being `uuid5(MAIL_NAMESPACE, "<event id>:<template>:<recipient>")` (notify/application.py
`_mail_row`): random per event and derived from the ticket's events, so they are recomputed
here from the ticket's event ids (intake's own, and the others' in `ticket_facts.py`) instead
of being stored twice.
"""

from __future__ import annotations

import asyncio
import uuid
from importlib.resources import files

import msgspec

from ...platform.store import IntegrityError, Stored
from ...schemas import new_envelope
from ...schemas.api import NewTicket
from ...schemas.events import AttachmentRef, ReporterFeedback, ReporterReplied, TicketReceived
from ..notify import threads
from ..notify.application import MAIL_NAMESPACE
from . import ticket_facts
from .application import DuplicateMail, IntakeService
from .mail import ParsedMail

# Every template notify can send: a reporter's mail is one of them.
TEMPLATES = tuple(sorted(
    entry.name.removesuffix(".txt")
    for entry in (files("lpse_helpdesk.services.notify") / "templates").iterdir()
    if entry.name.endswith(".txt")))


DOCUMENT_FIELDS = ("id_card", "company_npwp", "director_id_card", "request_letter",
                   "company_documents")


def own_addresses(standards) -> frozenset[str]:
    """The addresses notify sends from (every unit's helpdesk_email): mail from them is ours."""
    return frozenset(s.helpdesk_email.lower() for s in standards.values())


def ours(message_id: str) -> bool:
    return threads.ours(message_id)


def loop_reason(mail: ParsedMail, envelope_sender: str | None, own: frozenset[str]) -> str | None:
    """Why no ticket and no reply may come of this mail, or None for a person's mail."""
    if mail.automatic:
        return f"surat otomatis ({mail.automatic})"
    if not (envelope_sender or "").strip("<> "):
        return "pengirim amplop kosong (laporan pengiriman)"
    if mail.sender_email.lower() in own:
        return f"dari alamat helpdesk sendiri ({mail.sender_email})"
    if mail.message_id and ours(mail.message_id):
        return "Message-ID milik helpdesk sendiri"
    return None


def sent_ids(event_ids, recipient: str) -> set[str]:
    """The mail ids (threads.parse) of every mail notify may have sent `recipient` for these
    events."""
    return {str(uuid.uuid5(MAIL_NAMESPACE, f"{event_id}:{template}:{recipient}"))
            for event_id in event_ids for template in TEMPLATES}


async def bus_event_ids(broker, store, received: TicketReceived) -> list[str]:
    """The ids of the other services' events of the ticket (a few dozen at most), from
    intake's read model (`ticket_facts.py`) once it has caught up with the stream; BusDown
    while NATS is not connected or the read model lags."""
    await ticket_facts.caught_up(broker)
    return await asyncio.to_thread(ticket_facts.event_ids, store, received.ticket_id)


def ticket_of(service: IntakeService, number: str, tenant: str) -> tuple[TicketReceived, list]:
    """The ticket's `received` event and intake's history of it; LookupError when the number is
    not a ticket of this unit."""
    own = service._own_history(number)  # noqa: SLF001 - intake's own reading of its events
    received = own[0].event if own else None
    if not isinstance(received, TicketReceived) or received.tenant != tenant:
        raise LookupError(number)
    return received, own


async def hold_reason(service: IntakeService, tenant: str, mail: ParsedMail) -> str | None:
    """None when the mail may be added to the ticket its subject names; else why staff must
    look at it first."""
    number = mail.thread_number
    try:
        received, own = await asyncio.to_thread(ticket_of, service, number, tenant)
    except LookupError:
        return f"tiket {number} tidak ada di unit ini"
    if mail.sender_email.lower() != received.reporter.email.lower():
        return f"pengirim {mail.sender_email} bukan alamat pelapor tiket {number}"
    claimed = {parsed[1] for parsed in map(threads.parse, mail.references)
               if parsed and parsed[1] and parsed[0] in ("", number)}
    if not claimed:
        return "tidak membalas surat helpdesk (tanpa In-Reply-To/References ke surat kami)"
    known = [str(stored.event.event_id) for stored in own]
    if claimed & sent_ids(known, received.reporter.email):
        return None
    if claimed & sent_ids(await bus_event_ids(service.broker, service.store, received),
                          received.reporter.email):
        return None
    return f"In-Reply-To/References tidak menunjuk surat helpdesk untuk tiket {number}"


def add_reply(service: IntakeService, tenant: str, number: str, message: str,
              attachments: list[AttachmentRef], key: str | None,
              reopen: bool = False) -> ReporterReplied:
    """The mail's text as the reporter's reply on the ticket, once per `key` (its Message-ID,
    or `held:<id>` for a held mail staff accepted): a second try raises DuplicateMail. With
    `reopen`, the reporter's "not solved" goes with it, which reopens a closed ticket within
    its window (desk decides, as for the portal's button)."""
    for _ in range(20):  # another reply may take the next version first: read again
        received, own = ticket_of(service, number, tenant)
        envelope = new_envelope(received.ticket_id, received.tenant, service.now())
        event = ReporterReplied(**envelope, message=message, channel="email",
                                attachments=list(attachments))
        events = [event]
        if reopen:
            events.append(ReporterFeedback(
                **new_envelope(received.ticket_id, received.tenant, service.now()),
                solved=False, message="Pelapor membalas lewat surat setelah tiket ditutup"))
        try:
            version = own[-1].originator_version
            service.store.record([Stored(e, received.ticket_id, version + i)
                                  for i, e in enumerate(events, 1)],
                                 writes=service._seen(key, number))  # noqa: SLF001
        except IntegrityError:
            if key and service.mail_seen(key):
                raise DuplicateMail(service.mail_seen(key)) from None
            continue
        return event
    raise RuntimeError(f"balasan tidak bisa dicatat pada tiket {number}")


def ticket_from_mail(tenant: str, sender_name: str, sender_email: str, subject: str, body: str,
                     fields: dict[str, str], refs: list[AttachmentRef]) -> NewTicket:
    """The new ticket a mail asks for: `Telepon:`/`KTP:` lines fill what the unit's standard
    requires, an attached image stands for the screenshot. msgspec.ValidationError when the
    mail's text is not a valid ticket."""
    documents = {k: v for k, v in fields.items() if k in DOCUMENT_FIELDS}
    if any(r.content_type.startswith("image/") for r in refs):
        documents["screenshot"] = ", ".join(r.filename for r in refs)[:200]
    return msgspec.convert({
        "tenant": tenant, "channel": "email", "subject": subject, "description": body,
        "documents": documents,
        "reporter": {"name": sender_name or sender_email, "email": sender_email,
                     "phone": fields.get("phone", ""),
                     "organization": fields.get("organization", "")},
    }, NewTicket)
