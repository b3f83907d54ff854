"""A proven reply by mail to a ticket, carried out as replies.py decides: added, added and
reopened, held for staff, or a new ticket that names the closed one.

Whether the ticket is closed is desk's fact: intake's read model of it (`ticket_facts.py`),
once its consumer has caught up with the stream, with intake's own not yet published events
(BusDown while NATS is away or the consumer lags: the SMTP listener answers 451 and the
sender, or the mailbox fetcher, tries again).
"""

from __future__ import annotations

import asyncio

import msgspec

from ...schemas.api import NewTicket
from ...schemas.events import AttachmentRef, TicketReceived
from ...sla.units import due
from ...workflow.state import TicketState, fold_state
from . import held, replies, ticket_facts
from .application import IntakeService
from .mail import ParsedMail
from .mailbox import add_reply, ticket_of


async def ticket_state(service: IntakeService, received: TicketReceived, own) -> TicketState:
    """The ticket's state as far as a reply needs it: its status and when it was closed."""
    await ticket_facts.caught_up(service.broker)
    facts = await asyncio.to_thread(ticket_facts.status_of, service.store, received.ticket_id)
    state = fold_state([stored.event for stored in own])
    if facts is not None:
        # What decides a reply is desk's: closed or not, and since when. None: a ticket whose
        # events the consumer never read (a stream that had lost its beginning when intake's
        # read model was made: refill it, docs/design.md); intake's own events say "open".
        state.status, state.closed_at = facts
    return state


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
