"""intake's read model of what a reporter's mail reply needs to know about a ticket that intake
does not decide itself: its status and when it was closed (desk's facts), and the ids of the
other services' events (from which notify's Message-IDs are derived, mailbox.py).

Fed by intake's own tracked consumer, not read back from the stream per ticket: the stream
keeps events only for its max age (30 days), so a reply to a ticket closed 40 days ago read
from it folded a ticket with no close; and subjects no longer name the ticket, so one ticket's
events cannot be picked from the stream without reading all of it.

The status follows `workflow.state.fold_state`'s rules, written as SQL on the stored status so
that every event's rows are complete in themselves (a batch commits them together). A reply is
judged only once the consumer has caught up with the stream (`caught_up`): a close published a
moment before the reply is then known.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from nats.js.errors import NotFoundError

from ...platform.consumer import Decision
from ...platform.natsclient import BusDown, jetstream
from ...platform.store import ServiceStore, Write
from ...schemas import STREAM, AnyTicketEvent
from ...schemas import events as ev
from ...workflow.state import STATUS_AFTER

CONSUMER = "intake-facts"
CATCH_UP_S = 5.0  # how long a reply waits for the consumer; then 451, the sender tries again
# The events that move the status (`workflow.state.fold_state`) and those notify mails the
# reporter about (`notify/decisions.py`, REPORTER_TEMPLATES): a reply can only answer those.
WATCHED = (ev.TicketClassified, ev.EscalatedToCoordinator, ev.EscalatedToLkpp,
           ev.EscalationAnswered, ev.TicketClosed, ev.TicketMerged, ev.TicketReopened,
           ev.TicketReplied, ev.InfoRequested, ev.ReporterReplied)
_OWN = ev.OWNERS["intake"]  # intake's own events are in its store: no copy of their ids
TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_ticket_facts (ticket_id TEXT PRIMARY KEY,"
    " status TEXT NOT NULL, closed_at TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}_ticket_event_ids (ticket_id TEXT NOT NULL,"
    " event_id TEXT NOT NULL, PRIMARY KEY (ticket_id, event_id))",
)
REBUILD_TABLES = ("ticket_facts", "ticket_event_ids")


def _status_sql(event: AnyTicketEvent) -> tuple[str, tuple] | None:
    """The SET clause (and its values) this event makes of the stored status, or None."""
    keep = "CASE WHEN status IN ('escalated', 'closed') THEN status ELSE ? END"
    match event:
        case ev.TicketClassified():
            return "status = CASE WHEN status = 'new' THEN 'open' ELSE status END", ()
        case ev.EscalatedToCoordinator() | ev.EscalatedToLkpp():
            return "status = 'escalated'", ()
        case ev.EscalationAnswered() | ev.TicketReopened():
            return "status = 'open'", ()
        case ev.TicketClosed():
            return "status = 'closed', closed_at = ?", (event.occurred_at.isoformat(),)
        case _ if event.tag in STATUS_AFTER:
            return f"status = {keep}", (STATUS_AFTER[event.tag],)
    return None


def writes_for(store: ServiceStore, event: AnyTicketEvent) -> list[Write]:
    p, ticket = store.prefix, str(event.ticket_id)
    writes = [Write(f"INSERT INTO {p}_ticket_facts (ticket_id, status) VALUES (?, 'new')"
                    " ON CONFLICT (ticket_id) DO NOTHING", (ticket,))]
    change = _status_sql(event)
    if change is not None:
        writes.append(Write(f"UPDATE {p}_ticket_facts SET {change[0]} WHERE ticket_id = ?",
                            (*change[1], ticket)))
    if not isinstance(event, _OWN):
        writes.append(Write(f"INSERT INTO {p}_ticket_event_ids (ticket_id, event_id)"
                            " VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (ticket, str(event.event_id))))
    return writes


def projector(store: ServiceStore):
    """The handler of intake's consumer of ticket facts."""

    def on_event(event: AnyTicketEvent, stream_seq: int) -> Decision:
        if not isinstance(event, WATCHED):
            return Decision()
        return Decision(writes=writes_for(store, event))

    return on_event


def status_of(store: ServiceStore, ticket_id) -> tuple[str, object] | None:
    """(status, closed_at) as the consumer last saw them, or None for a ticket it never saw."""
    rows = store.query(f"SELECT status, closed_at FROM {store.prefix}_ticket_facts"
                       " WHERE ticket_id = ?", (str(ticket_id),))
    if not rows:
        return None
    status, closed_at = rows[0]
    return status, datetime.fromisoformat(closed_at) if closed_at else None


def event_ids(store: ServiceStore, ticket_id) -> list[str]:
    return [row[0] for row in store.query(
        f"SELECT event_id FROM {store.prefix}_ticket_event_ids WHERE ticket_id = ?",
        (str(ticket_id),))]


async def caught_up(broker, timeout: float = CATCH_UP_S) -> None:
    """Return once intake's consumer has handled every message the stream held on the call;
    BusDown while NATS is away or the consumer lags `timeout` seconds (the SMTP listener
    answers 451, the mailbox fetcher tries again)."""
    js = jetstream(broker)
    deadline = time.monotonic() + timeout
    target = None
    while True:
        try:
            if target is None:
                target = (await js.stream_info(STREAM)).state.last_seq
            info = await js.consumer_info(STREAM, CONSUMER)
        except NotFoundError:
            raise BusDown(f"consumer {CONSUMER} belum ada / not created yet") from None
        except Exception as exc:  # noqa: BLE001 - a timeout or a reconnect: try again later
            raise BusDown(f"NATS tidak menjawab / no answer: {exc!r}") from None
        # Idle, or (under steady load, never idle) past everything the stream held at the call.
        if (not info.num_pending and not info.num_ack_pending) or (
                info.ack_floor.stream_seq >= target):
            return
        if time.monotonic() > deadline:
            raise BusDown(f"{CONSUMER} tertinggal {info.num_pending} pesan / lagging")
        await asyncio.sleep(0.05)
