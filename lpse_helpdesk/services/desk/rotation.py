"""Round-robin assignment per tier (`Tier.round_robin` in the unit's standard): a ticket
reaching such a tier with nobody of the tier on it goes to the next active staff user of the
tier's role in the unit (`decisions.round_robin`), recorded as a `ticket.assigned` by the system.

The tiers a ticket reaches: Helpdesk when it is received, the tier an escalation names. Where the
rotation stands (the last one it gave a ticket, per unit and tier) is a row of the desk's own,
written in the transaction of the assignment, so it survives restarts and a rebuild (which
empties only the read model). A consumer batch commits its rows together at its end: until the
row read back changes, the place this process gave last is kept here too (once the row changes,
committed by this process or by a replica, the row is the truth)."""

from __future__ import annotations

from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...standards.model import FIRST_TIER, OUTSIDE_TIER
from ...workflow import history
from ...workflow.decide import Decided, TicketDecisions
from ...workflow.state import fold_state
from . import decisions

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_rotation ("
    " tenant TEXT NOT NULL, tier TEXT NOT NULL, last_assignee TEXT NOT NULL,"
    " PRIMARY KEY (tenant, tier))",
)


def reached_tier(event: AnyTicketEvent) -> str | None:
    """The tier `event` brings its ticket to, if it brings it to one."""
    if isinstance(event, ev.TicketReceived):
        return FIRST_TIER
    if isinstance(event, ev.EscalatedToCoordinator):
        return event.to_tier
    if isinstance(event, ev.EscalatedToLkpp):
        return OUTSIDE_TIER
    return None


def rotating_tier(event: AnyTicketEvent, standards) -> object | None:
    """The standard's tier `event` brings its ticket to, when that tier rotates."""
    tier = reached_tier(event)
    standard = standards.get(event.tenant) if tier else None
    if standard is None:
        return None
    return next((t for t in standard.escalation if t.tier == tier and t.round_robin), None)


class Rotation:
    def __init__(self, store: ServiceStore, tickets: TicketDecisions):
        self.store, self.tickets = store, tickets
        # (tenant, tier) -> (the one given last here, the row's value when it was given)
        self.pending: dict[tuple[str, str], tuple[str, str]] = {}

    def candidates(self, tenant: str, role: str) -> list[str]:
        rows = self.store.query(f"SELECT username FROM {self.store.prefix}_users WHERE tenant = ?"
                                " AND role = ? AND disabled = 0 ORDER BY username", (tenant, role))
        return [name for (name,) in rows]

    def stored(self, tenant: str, tier: str) -> str:
        rows = self.store.query(f"SELECT last_assignee FROM {self.store.prefix}_rotation"
                                " WHERE tenant = ? AND tier = ?", (tenant, tier))
        return rows[0][0] if rows else ""

    def last(self, key: tuple[str, str], row: str) -> str:
        """The one the rotation gave a ticket last, `row` being the stored place."""
        given, seen = self.pending.get(key, (row, row))
        return given if row == seen else row

    def assign(self, event: AnyTicketEvent, tier) -> tuple[Decided, Write] | None:
        """The assignment `event` calls for at the rotating `tier`, and the rotation's row."""
        key = (event.tenant, tier.tier)
        row = self.stored(*key)
        candidates, last = self.candidates(event.tenant, tier.role), self.last(key, row)

        def decide(_state, events, stamp):
            known = history.including(events, event)  # the handled event is not stored yet
            return decisions.round_robin(fold_state(known), known, tier.tier, candidates, last,
                                         stamp)

        # No guard: an assignment changes no workflow state (as a staff member's assign).
        decided = self.tickets.decide(event.ticket_id, decide, guard=False)
        if decided is None:
            return None
        self.pending[key] = (decided.event.assignee, row)
        p = self.store.prefix
        return decided, Write(
            f"INSERT INTO {p}_rotation (tenant, tier, last_assignee) VALUES (?, ?, ?)"
            " ON CONFLICT (tenant, tier) DO UPDATE SET last_assignee = excluded.last_assignee",
            (*key, decided.event.assignee))
