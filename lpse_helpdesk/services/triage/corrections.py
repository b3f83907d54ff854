"""Staff classifications as training data: every `ticket.classified` decided by a staff
member (not by the model) says what the ticket really was.

They are read from the desk's timeline (`<desk>_ticket_events`), which keeps every ticket
event from the stream, the reporter's text (`ticket.received`) included; triage's own store
has the classifications but not the text. The desk's store is opened directly, as the other
operator commands do (`cli_admin.py`), so this works while the helpdesk runs.
"""

from __future__ import annotations

import msgspec

from ...schemas import decode_event
from ...schemas import events as ev
from ...schemas.privacy_events import ERASED
from .model import Example


class Correction(msgspec.Struct, frozen=True):
    ticket_number: str
    tenant: str
    example: Example  # the reporter's text with the staff's category
    model_category: str | None  # what the model had said, when it classified the ticket
    model_version: str


def corrections(store, tenant: str | None = None) -> list[Correction]:
    """The last staff classification of each ticket (of `tenant`, or of every unit), in the
    order the tickets were received. A staff classification that agrees with the model
    counts too: it confirms a label."""
    rows = store.query(
        f"SELECT ticket_id, body FROM {store.prefix}_ticket_events"
        " WHERE type IN ('ticket.received', 'ticket.classified') ORDER BY stream_seq")
    received: dict[str, ev.TicketReceived] = {}
    staff: dict[str, ev.TicketClassified] = {}
    automatic: dict[str, ev.TicketClassified] = {}
    for ticket_id, body in rows:
        event = decode_event(body)
        if isinstance(event, ev.TicketReceived):
            received[ticket_id] = event
        elif isinstance(event, ev.TicketClassified):
            if event.actor.role == "system":
                automatic.setdefault(ticket_id, event)
            elif ticket_id not in staff or event.occurred_at >= staff[ticket_id].occurred_at:
                staff[ticket_id] = event
    found = []
    for ticket_id, r in received.items():
        label = staff.get(ticket_id)
        if label is None or (tenant is not None and r.tenant != tenant):
            continue
        if r.description == ERASED:  # its reporter's data was erased: no text left to learn
            continue
        auto = automatic.get(ticket_id)
        found.append(Correction(
            ticket_number=r.number, tenant=r.tenant,
            example=Example(r.subject, r.description, label.category),
            model_category=auto.category if auto else None,
            model_version=getattr(auto, "model_version", "") if auto else ""))
    return found
