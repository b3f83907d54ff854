"""The desk's ticket read model: a ticket index and every event of every ticket (timeline).

The projection only appends rows (idempotent by event id); a ticket's state is folded from its
timeline in stream order when read, so events arriving in any order never corrupt it.
"""

from __future__ import annotations

import uuid

import msgspec

from ...platform.consumer import Decision
from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent, decode_event, encode_event
from ...schemas import events as ev
from ...schemas.api import TicketView, TimelineEntry
from ...sla.tickets import fold_clocks

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_tickets ("
    " ticket_id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,"
    " token_sha256 TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}_timeline ("
    " event_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, stream_seq BIGINT NOT NULL,"
    " type TEXT NOT NULL, occurred_at TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}_timeline_ticket ON {p}_timeline (ticket_id, stream_seq)",
)

_upsert_ignore = " ON CONFLICT DO NOTHING"


def project(store: ServiceStore, event: AnyTicketEvent, stream_seq: int) -> Decision:
    p = store.prefix
    writes = [Write(
        f"INSERT INTO {p}_timeline VALUES (?, ?, ?, ?, ?, ?)" + _upsert_ignore,
        (str(event.event_id), str(event.ticket_id), stream_seq, event.tag,
         event.occurred_at.isoformat(), encode_event(event).decode()),
    )]
    if isinstance(event, ev.TicketReceived):
        writes.append(Write(
            f"INSERT INTO {p}_tickets VALUES (?, ?, ?, ?, ?)" + _upsert_ignore,
            (str(event.ticket_id), event.number, event.tenant, event.access_token_sha256,
             event.occurred_at.isoformat()),
        ))
    return Decision(writes=writes)


def find_ticket(store: ServiceStore, number: str) -> tuple[uuid.UUID, str, str] | None:
    rows = store.query(
        f"SELECT ticket_id, tenant, token_sha256 FROM {store.prefix}_tickets WHERE number = ?",
        (number,),
    )
    if not rows:
        return None
    ticket_id, tenant, token_hash = rows[0]
    return uuid.UUID(ticket_id), tenant, token_hash


def timeline(store: ServiceStore, ticket_id: uuid.UUID) -> list[AnyTicketEvent]:
    rows = store.query(
        f"SELECT body FROM {store.prefix}_timeline WHERE ticket_id = ? ORDER BY stream_seq",
        (str(ticket_id),),
    )
    return [decode_event(body) for (body,) in rows]


STATUS_AFTER = {
    "ticket.replied": "open",
    "ticket.info_requested": "waiting_reporter",
    "ticket.reporter_replied": "open",
    "ticket.closed": "closed",
    "ticket.reopened": "open",
}


def fold(events: list[AnyTicketEvent], include_internal: bool = False,
         standard=None) -> TicketView | None:
    """A ticket's current state from its events, in stream order. With the unit's standard, the
    due times are the effective ones (pauses and tier targets applied), as escalation's timer
    sees them; without it, those the classification carried."""
    received = next((e for e in events if isinstance(e, ev.TicketReceived)), None)
    if received is None:
        return None
    view = TicketView(
        id=received.ticket_id, number=received.number, tenant=received.tenant, status="new",
        category=None, priority=None, tier="helpdesk", channel=received.channel,
        subject=received.subject, description=received.description, reporter=received.reporter,
    )
    for event in events:
        match event:
            case ev.TicketClassified():
                view.category, view.priority = event.category, event.priority
                view.first_response_due = event.first_response_due or view.first_response_due
                view.resolution_due = event.resolution_due or view.resolution_due
                if view.status == "new":
                    view.status = "open"
            case ev.EscalatedToCoordinator() | ev.EscalatedToLkpp():
                view.status = "escalated"
                view.tier = event.to_tier if isinstance(event, ev.EscalatedToCoordinator) else "lkpp"
                view.resolution_due = event.resolution_due or view.resolution_due
            case ev.EscalationAnswered():
                view.tier = event.to_tier
                view.status = "open"
            case ev.SlaBreached():
                if event.target == "first_response":
                    view.first_response_breached = True
                else:
                    view.resolution_breached = True
            case _ if event.tag in STATUS_AFTER:
                view.status = STATUS_AFTER[event.tag]
    for clock in fold_clocks(events, standard):
        if clock.target == "first_response":
            view.first_response_due = clock.due_at
        else:
            view.resolution_due = clock.due_at
        view.sla_paused = view.sla_paused or clock.paused
    view.timeline = [
        TimelineEntry(type=e.tag, occurred_at=e.occurred_at, event=msgspec.to_builtins(e))
        for e in events
        if include_internal or not isinstance(e, ev.NoteAdded)  # notes are staff-only
    ]
    return view
