"""A proven reply by mail to a ticket, carried out as replies.py decides: added, added and
reopened, held for staff, or a new ticket that names the closed one.

Whether the ticket is closed is desk's fact, on the bus: intake folds the ticket's events from
the stream with its own not yet published ones (BusDown while NATS is away: the SMTP listener
answers 451 and the sender, or the mailbox fetcher, tries again).
"""

from __future__ import annotations

import asyncio

import msgspec

from ...platform.natsclient import jetstream
from ...platform.streamread import stream_batches
from ...schemas import SUBJECT_PREFIX, decode_event
from ...schemas.api import NewTicket
from ...schemas.events import AttachmentRef, TicketReceived
from ...sla.units import due
from ...workflow.state import TicketState, fold_state
from . import held, replies
from .application import IntakeService
from .mail import ParsedMail
from .mailbox import add_reply, ticket_of


async def ticket_state(service: IntakeService, received: TicketReceived, own) -> TicketState:
    jetstream(service.broker)  # BusDown when not connected
    subject = f"{SUBJECT_PREFIX}.{received.tenant}.ticket.{received.ticket_id}.>"
    events = {}
    async for batch in stream_batches(service.broker.connection, [subject]):
        for _, _, data in batch:
            event = decode_event(data)
            events[event.event_id] = event
    for stored in own:
        events.setdefault(stored.event.event_id, stored.event)
    return fold_state(sorted(events.values(), key=lambda e: e.occurred_at))


async def outcome(service: IntakeService, tenant: str, number: str):
    """(Outcome, the ticket's received event) for a proven reply arriving now."""
    received, own = await asyncio.to_thread(ticket_of, service, number, tenant)
    state = await ticket_state(service, received, own)
    standard = service.standards[tenant]
    window = (due(standard, state.closed_at, standard.reopen_window)
              if state.closed_at is not None else None)
    return replies.on_reply(state.status, state.closed_at, window, service.now(),
                            standard.mail.closed_reply), received


def continue_in_new_ticket(service: IntakeService, received: TicketReceived, mail: ParsedMail,
                           refs: list[AttachmentRef]) -> str:
    """A new ticket for a reply that came after the reopen window: the reporter's data and
    documents of the closed ticket, the mail's text, and the old number in its description."""
    ticket = msgspec.convert({
        "tenant": received.tenant, "channel": "email", "subject": mail.subject,
        "description": replies.follow_up_text(received.number, mail.body),
        "documents": dict(received.documents),
        "reporter": msgspec.to_builtins(received.reporter),
    }, NewTicket)
    return service.submit(ticket, None, refs, mail.message_id).created.number


async def carry_out(service: IntakeService, tenant: str, mail: ParsedMail,
                    refs: list[AttachmentRef]) -> str:
    """Do what the reply's outcome says; the SMTP answer's text."""
    number = mail.thread_number
    decided, received = await outcome(service, tenant, number)
    if decided is replies.Outcome.NEW_TICKET:
        new = await asyncio.to_thread(continue_in_new_ticket, service, received, mail, refs)
        return f"tiket {number} sudah ditutup; diterima sebagai tiket baru {new}"
    if decided is replies.Outcome.ASK_STAFF:
        await asyncio.to_thread(held.hold, service, tenant, mail, refs,
                                f"balasan atas tiket {number} yang sudah ditutup")
        return f"tiket {number} sudah ditutup; balasan menunggu pemeriksaan petugas"
    await asyncio.to_thread(add_reply, service, tenant, number, mail.body, refs,
                            mail.message_id, decided is replies.Outcome.REOPEN)
    return f"ditambahkan ke tiket {number}" + (
        " dan tiket dibuka kembali" if decided is replies.Outcome.REOPEN else "")
