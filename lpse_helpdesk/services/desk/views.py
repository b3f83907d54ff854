"""The desk's read models: every ticket's history (the timeline), a ticket index (number, unit,
reporter token hash) and one state row per ticket for queues and the head-of-unit figures.

A ticket's state is folded from its history in decision order (`workflow.history`); messages
are handled one after another, so a state row always reflects the history it came from.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

import msgspec

from ...platform.consumer import Decision
from ...platform.store import ServiceStore, Write, utc_text
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...schemas.api import TicketView, TimelineEntry
from ...sla.tickets import fold_clocks
from ...workflow import history
from ...workflow.rules import acting_role, allowed_actions
from ...workflow.state import TicketState, fold_state
from . import readindex, reporter_view
from .decisions import assignee_of, new_reply

TABLES = (
    *history.TABLES,
    "CREATE TABLE IF NOT EXISTS {p}_tickets ("
    " ticket_id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,"
    " token_sha256 TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}_ticket_state ("
    " ticket_id TEXT PRIMARY KEY, number TEXT NOT NULL, tenant TEXT NOT NULL,"
    " channel TEXT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL, tier TEXT NOT NULL,"
    " category TEXT, priority TEXT, received_at TEXT NOT NULL, first_response_due TEXT,"
    " resolution_due TEXT, resolution_target TEXT, closed_at TEXT, escalations INTEGER NOT NULL,"
    " breached INTEGER NOT NULL, kind TEXT NOT NULL, needs_review INTEGER NOT NULL DEFAULT 0,"
    " assignee TEXT NOT NULL DEFAULT '', reporter_name TEXT NOT NULL DEFAULT '',"
    " search_text TEXT NOT NULL DEFAULT '', new_reply INTEGER NOT NULL DEFAULT 0,"
    " reporter_email TEXT NOT NULL DEFAULT '')",
    # The search's order (`search.py`): a unit's newest tickets first.
    "CREATE INDEX IF NOT EXISTS {n}_ticket_state_received"
    " ON {p}_ticket_state (tenant, received_at)",
    # The queue (`open_queue.py`): a unit's open tickets only, however many are closed.
    "CREATE INDEX IF NOT EXISTS {n}_ticket_state_open"
    " ON {p}_ticket_state (tenant, number) WHERE status <> 'closed'",
)


# What `project` fills, and so what a rebuild empties and refills (not users or surveys: those
# are the desk's own rows, written with its decisions).
REBUILD_TABLES = ("ticket_events", "tickets", "ticket_state")


def project(store: ServiceStore, event: AnyTicketEvent, stream_seq: int, standards: dict,
            events: list[AnyTicketEvent]) -> Decision:
    """Rows for one event; `events` is the ticket's history including this event."""
    p = store.prefix
    writes = [history.append(store, event, stream_seq)]
    if isinstance(event, ev.TicketReceived):
        writes.append(Write(
            f"INSERT INTO {p}_tickets VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (str(event.ticket_id), event.number, event.tenant, event.access_token_sha256,
             event.occurred_at.isoformat()),
        ))
    state = fold_state(events)
    if state is not None:
        writes.append(_state_row(p, state, events, standards.get(state.tenant)))
    return Decision(writes=writes)


STATE_COLUMNS = ("ticket_id, number, tenant, channel, subject, status, tier, category, priority,"
                 " received_at, first_response_due, resolution_due, resolution_target, closed_at,"
                 " escalations, breached, kind, needs_review, assignee, reporter_name, search_text,"
                 " new_reply, reporter_email")
# Columns the state table gained after its first release; old rows read the default until
# `rebuild desk` refills them.
ADDED_COLUMNS = (("needs_review", "INTEGER NOT NULL DEFAULT 0"),
                 ("assignee", "TEXT NOT NULL DEFAULT ''"),
                 ("reporter_name", "TEXT NOT NULL DEFAULT ''"),
                 ("search_text", "TEXT NOT NULL DEFAULT ''"),
                 ("new_reply", "INTEGER NOT NULL DEFAULT 0"),
                 ("reporter_email", "TEXT NOT NULL DEFAULT ''"))


def upgrade(store: ServiceStore) -> None:
    """Adds the `ADDED_COLUMNS` a state table made before them lacks, "Tiket saya"'s index and
    the indexes of the reads (`readindex.py`): an existing read model gets them on start."""
    for column, declaration in ADDED_COLUMNS:
        try:
            store.query(f"SELECT {column} FROM {store.prefix}_ticket_state LIMIT 0")
        except Exception:  # noqa: BLE001 - the column is missing
            store.execute([Write(f"ALTER TABLE {store.prefix}_ticket_state"
                                 f" ADD COLUMN {column} {declaration}")])
    store.execute([Write(f"CREATE INDEX IF NOT EXISTS {store.name}_ticket_state_email"
                         f" ON {store.prefix}_ticket_state (tenant, reporter_email)")])
    readindex.create(store)  # the indexes the reads need (`readindex.py`)


def _state_sql(p: str) -> str:
    updates = ", ".join(f"{c.strip()} = excluded.{c.strip()}"
                        for c in STATE_COLUMNS.split(",")[1:])
    marks = ", ".join("?" * len(STATE_COLUMNS.split(",")))
    return (f"INSERT INTO {p}_ticket_state ({STATE_COLUMNS}) VALUES ({marks})"
            f" ON CONFLICT (ticket_id) DO UPDATE SET {updates}")


def _state_values(state: TicketState, events: list[AnyTicketEvent], standard,
                  ticket_text: str | None = None) -> tuple:
    clocks = {c.target: c for c in fold_clocks(events, standard)}
    first, resolution = clocks.get("first_response"), clocks.get("resolution")
    # The resolution target as first set (kept when the clock stops), for "closed within target".
    target = next((e.resolution_due for e in reversed(events)
                   if isinstance(e, ev.TicketClassified) and e.resolution_due), None)
    r = state.received
    return (
        ticket_text or str(r.ticket_id), r.number, r.tenant, r.channel, r.subject, state.status, state.tier,
        state.category, state.priority, utc_text(r.occurred_at),
        utc_text(first.due_at if first else None), utc_text(resolution.due_at if resolution else None),
        utc_text(target), utc_text(state.closed_at), state.escalations,
        int(state.first_response_breached or state.resolution_breached), r.kind,
        # Triage's last word, unless staff classified since ("perlu ditinjau" in the queue).
        int(next((e.needs_review for e in reversed(events)
                  if isinstance(e, ev.TicketClassified)), False)),
        assignee_of(events), r.reporter.name, search_text(r), int(new_reply(events)),
        r.reporter.email.strip().casefold(),  # "Tiket saya" finds a reporter's tickets by it
    )


def search_text(r: ev.TicketReceived) -> str:
    """What staff search finds a ticket by (`search.py`), case-folded once here."""
    p = r.reporter
    return "\n".join((r.number, r.subject, r.description, p.name, p.email,
                      p.organization, *r.fields.values())).casefold()


def _state_row(p: str, state: TicketState, events: list[AnyTicketEvent], standard) -> Write:
    return Write(_state_sql(p), _state_values(state, events, standard))


class FoundTicket(NamedTuple):
    ticket_id: uuid.UUID
    tenant: str
    token_sha256: str  # of the reporter's access token


def find_ticket(store: ServiceStore, number: str) -> FoundTicket | None:
    rows = store.query(f"SELECT ticket_id, tenant, token_sha256 FROM {store.prefix}_tickets "
                       "WHERE number = ?", (number,))
    return FoundTicket(uuid.UUID(rows[0][0]), rows[0][1], rows[0][2]) if rows else None


def fold(events: list[AnyTicketEvent], include_internal: bool = False,
         standard=None, role: str | None = None) -> TicketView | None:
    """The ticket as the API shows it. With the unit's standard, the due times are the effective
    ones (pauses and tier targets applied), as escalation's timer sees them. With a staff `role`,
    `allowed_actions` lists what that role may do now."""
    state = fold_state(events)
    if state is None:
        return None
    r = state.received
    view = TicketView(
        id=r.ticket_id, number=r.number, tenant=r.tenant, status=state.status,
        category=state.category, priority=state.priority, tier=state.tier, channel=r.channel,
        subject=r.subject, description=r.description, reporter=r.reporter,
        first_response_breached=state.first_response_breached,
        resolution_breached=state.resolution_breached, kind=r.kind, queue_number=r.queue_number,
        fields=dict(r.fields),
        survey_submitted=any(isinstance(e, ev.SurveySubmitted) for e in events),
    )
    if standard is not None:
        view.acting_role = acting_role(standard, state)
    if role is not None:
        view.allowed_actions = allowed_actions(state, role, standard)
    if include_internal:
        view.assignee = assignee_of(events)
    classified = [e for e in events if isinstance(e, ev.TicketClassified)]
    if classified:
        view.first_response_due = classified[-1].first_response_due
        view.resolution_due = classified[-1].resolution_due
    for clock in fold_clocks(events, standard):
        if clock.target == "first_response":
            view.first_response_due = clock.due_at
        else:
            view.resolution_due = clock.due_at
        view.sla_paused = view.sla_paused or clock.paused
    view.timeline = [  # a reporter's: without staff work (`reporter_view.py`)
        TimelineEntry(type=e.tag, occurred_at=e.occurred_at, event=msgspec.to_builtins(e))
        for e in events] if include_internal else reporter_view.timeline(events)
    return view
