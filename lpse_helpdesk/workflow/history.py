"""Each ticket's events, kept by a service from the stream.

Appends only, idempotent by event id: a republished duplicate (new stream sequence, same event)
adds nothing. Reading merges the service's own not-yet-projected decisions, so a service
checks its next decision against everything it has itself decided, without waiting for the bus.

Events are ordered by when they were decided (`occurred_at`), stream order breaking ties: each
service publishes through its own outbox, so a reporter's feedback can reach the stream before
the close it answers, although it came after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..platform.store import ServiceStore, Write
from ..schemas import AnyTicketEvent, decode_event, encode_event

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_ticket_events ("
    " event_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, stream_seq BIGINT NOT NULL,"
    " type TEXT NOT NULL, occurred_at TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}_ticket_events_ticket ON {p}_ticket_events (ticket_id, stream_seq)",
)


def append(store: ServiceStore, event: AnyTicketEvent, stream_seq: int) -> Write:
    return Write(append_sql(store), append_row(event, stream_seq))


def append_sql(store: ServiceStore) -> str:
    return f"INSERT INTO {store.prefix}_ticket_events VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"


def append_row(event: AnyTicketEvent, stream_seq: int, ticket_text: str | None = None) -> tuple:
    """`append`'s parameters; `ticket_text` is `str(event.ticket_id)` when the caller has it
    (a bulk rebuild writes a ticket's rows together)."""
    return (str(event.event_id), ticket_text or str(event.ticket_id), stream_seq, event.tag,
            event.occurred_at.isoformat(), encode_event(event).decode())


@dataclass(frozen=True)
class Loaded:
    events: list[AnyTicketEvent]
    version: int  # this service's last version of the ticket: the next decision takes version+1


def load(store: ServiceStore, ticket_id: uuid.UUID) -> Loaded:
    """The ticket's history as projected, plus this service's own decisions not yet back from
    the bus. The version is read with it, so a decision based on this history conflicts (and
    loses) if another decision of this service was stored in between."""
    own = store.history(ticket_id)
    events = projected(store, ticket_id)
    seen = {e.event_id for e in events}
    events += [s.event for s in own if s.event.event_id not in seen]
    events.sort(key=lambda e: e.occurred_at)  # stable: stream order among equal times
    return Loaded(events, own[-1].originator_version if own else 0)


def projected(store: ServiceStore, ticket_id: uuid.UUID) -> list[AnyTicketEvent]:
    """The ticket's events as projected from the stream, in stream order."""
    rows = store.query(
        f"SELECT body FROM {store.prefix}_ticket_events WHERE ticket_id = ? ORDER BY stream_seq",
        (str(ticket_id),),
    )
    return [decode_event(body) for (body,) in rows]


def event_ids(store: ServiceStore, ticket_id: uuid.UUID) -> set[uuid.UUID]:
    """What this service knows has happened to the ticket (for the decision guard's wait,
    which polls it): the projected ids and its own decisions', without decoding any body."""
    rows = store.query(f"SELECT event_id FROM {store.prefix}_ticket_events WHERE ticket_id = ?",
                       (str(ticket_id),))
    return {uuid.UUID(event_id) for (event_id,) in rows} | {
        s.event.event_id for s in store.history(ticket_id)}


def including(events: list[AnyTicketEvent], event: AnyTicketEvent) -> list[AnyTicketEvent]:
    """The history with `event` in its place (unchanged when it is already there)."""
    if any(e.event_id == event.event_id for e in events):
        return events
    return sorted([*events, event], key=lambda e: e.occurred_at)
