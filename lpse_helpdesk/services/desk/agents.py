"""Per-agent figures of a unit: for each staff member, the open tickets assigned to them now,
the tickets they closed in the period and the median time to the first response they gave
(tickets received in the period), read from the desk's state rows and ticket history.

The figures API (`reports.figures`) answers them as `UnitFigures.agents`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from statistics import median

import msgspec

from ...platform.store import ServiceStore, from_utc_text
from . import reports
from .readindex import CLOSE_TYPES, RESPONSE_TYPES, actor, json_text, types_in



class AgentFigures(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    display_name: str = ""
    open_assigned: int = 0  # open tickets assigned to them now
    closed: int = 0  # tickets they closed in the period (each ticket once)
    first_responses: int = 0  # tickets received in the period they answered first
    median_first_response_minutes: float | None = None  # wall-clock minutes, 1 decimal


class UnitFigures(reports.Figures, frozen=True, kw_only=True):
    agents: list[AgentFigures] = []  # the unit's staff, by username


def tally(staff: dict[str, str], open_assignees: dict[str, int],
          closes: list[tuple[str, str]], first_responses: list[tuple[str, float]]
          ) -> list[AgentFigures]:
    """The per-agent rows: `staff` username -> display name (active staff of the unit);
    `open_assignees` username -> open tickets assigned; `closes` (closer, ticket id) pairs,
    a ticket closed twice by one agent counted once; `first_responses` (responder, seconds from
    receipt). Anyone in the figures but not in `staff` (disabled since) is listed too."""
    closed: dict[str, set[str]] = {}
    for who, ticket in closes:
        closed.setdefault(who, set()).add(ticket)
    waits: dict[str, list[float]] = {}
    for who, seconds in first_responses:
        waits.setdefault(who, []).append(seconds)
    names = sorted(set(staff) | set(open_assignees) | set(closed) | set(waits))
    return [AgentFigures(
        username=name, display_name=staff.get(name, ""),
        open_assigned=open_assignees.get(name, 0), closed=len(closed.get(name, ())),
        first_responses=len(waits.get(name, ())),
        median_first_response_minutes=round(median(waits[name]) / 60, 1)
        if waits.get(name) else None) for name in names]


def figures(store: ServiceStore, tenant: str, now: datetime, standard,
            start: date | None = None, end: date | None = None) -> UnitFigures:
    """The unit's figures (`reports.figures`) with the per-agent rows of the same period."""
    base = reports.figures(store, tenant, now, standard, start, end)
    return UnitFigures(**msgspec.structs.asdict(base),
                       agents=agents(store, tenant, standard.zone, base.period_from,
                                     base.period_to))


def agents(store: ServiceStore, tenant: str, zone, start: date, end: date) -> list[AgentFigures]:
    p = store.prefix
    low, high = reports._bounds(zone, start, end)  # noqa: SLF001 - one module's period rule
    staff = dict(store.query(f"SELECT username, display_name FROM {p}_users"
                             " WHERE tenant = ? AND disabled = 0", (tenant,)))
    # Grouped in the order of the open tickets' index (`readindex.py`), so SQLite reads it.
    open_assignees: dict[str, int] = {}
    for who, count in store.query(
            f"SELECT assignee, COUNT(*) FROM {p}_ticket_state WHERE tenant = ?"
            " AND status <> 'closed' AND assignee <> '' GROUP BY tier, category, channel,"
            " assignee", (tenant,)):
        open_assignees[who] = open_assignees.get(who, 0) + int(count)
    # The history keeps `occurred_at` as ISO text with its offset: a day of slack each side in
    # SQL, the exact test on the parsed time. Closes by the unit's index of them
    # (`readindex.py`); the closer and the unit are read from the body in SQL.
    lo, hi = from_utc_text(low), from_utc_text(high)
    rows = store.query(
        f"SELECT ticket_id, occurred_at, {actor(store)} FROM {p}_ticket_events"
        f" WHERE {types_in(CLOSE_TYPES)} AND {json_text(store, 'tenant')} = ?"
        " AND occurred_at >= ? AND occurred_at < ?",
        (tenant, (lo - timedelta(days=1)).astimezone(UTC).isoformat(),
         (hi + timedelta(days=1)).astimezone(UTC).isoformat()))
    closes = [(who, ticket) for ticket, at, who in rows
              if lo <= datetime.fromisoformat(at) < hi]
    # Each ticket received in the period, with its responses (an index of them per ticket).
    answered = store.query(
        f"SELECT s.ticket_id, s.received_at, e.occurred_at, {actor(store, 'e.body')}"
        f" FROM {p}_ticket_state s JOIN {p}_ticket_events e ON e.ticket_id = s.ticket_id"
        f" AND e.{types_in(RESPONSE_TYPES)} WHERE s.tenant = ? AND s.received_at >= ?"
        " AND s.received_at < ? ORDER BY s.ticket_id, e.stream_seq", (tenant, low, high))
    first: dict[str, tuple[str, float]] = {}
    for ticket, received, at, who in answered:
        if ticket not in first:
            since = datetime.fromisoformat(received)
            first[ticket] = (who, max(0.0, (datetime.fromisoformat(at) - since).total_seconds()))
    return tally(staff, open_assignees, closes, list(first.values()))
