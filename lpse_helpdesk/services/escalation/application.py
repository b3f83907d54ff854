"""escalation: tiers of the unit's chain and the SLA clocks (owns escalated, escalation answered,
SLA breached).

- Staff escalate a ticket to the next tier of its unit's chain, and a higher tier answers back
  down to the helpdesk; both checked by `workflow.rules` and stored at the next version of the
  ticket in this service's store (concurrent decisions: one wins).
- The clocks (first response, resolution, and the current tier's deadline) are rows kept from
  every ticket event. A timer looks for clocks past due: a missed SLA records
  `ticket.sla_breached`; a missed tier deadline escalates the ticket one tier (automatic=True).
  Each is recorded with a guard row whose primary key makes it happen once, across restarts and
  replicas.

What each decision is lives in `decisions.py`; this module loads, decides and records.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from ... import refusals
from ...platform.auth import Principal
from ...platform.consumer import Decision
from ...platform.observability import log_event
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Write, from_utc_text, utc_text
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...schemas.api import ActionResult
from ...workflow import history
from ...workflow.decide import TicketDecisions, action_result
from ...workflow.guard import guard_for
from ...workflow.state import fold_state
from . import decisions
from .decisions import TIER_DEADLINE

log = logging.getLogger("lpse_helpdesk.escalation")

TABLES = (
    *history.TABLES,
    "CREATE TABLE IF NOT EXISTS {p}_numbers (number TEXT PRIMARY KEY, ticket_id TEXT NOT NULL)",
    # `once_key` names what a passed clock may cause only once: a breach per target, an
    # automatic escalation per visit of a tier ("tier:helpdesk@<arrival>").
    "CREATE TABLE IF NOT EXISTS {p}_sla_clocks ("
    " ticket_id TEXT NOT NULL, target TEXT NOT NULL, tenant TEXT NOT NULL, tier TEXT NOT NULL,"
    " due_at TEXT, met INTEGER NOT NULL, once_key TEXT NOT NULL, PRIMARY KEY (ticket_id, target))",
    "CREATE TABLE IF NOT EXISTS {p}_sla_breaches ("
    " ticket_id TEXT NOT NULL, once_key TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    " PRIMARY KEY (ticket_id, once_key))",
)


class EscalationService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards
        self.signer = ctx.signer
        self.now = ctx.now
        self.tickets = TicketDecisions(self.store, guard_for(ctx), ctx.now, self._ticket_of)
        self.timer_interval = 1.0

    def _ticket_of(self, number: str) -> uuid.UUID | None:
        rows = self.store.query(f"SELECT ticket_id FROM {self.store.prefix}_numbers WHERE number = ?",
                                (number,))
        return uuid.UUID(rows[0][0]) if rows else None

    # --- clocks follow every ticket event ----------------------------------------------------
    def on_ticket_event(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        events = history.including(history.load(self.store, event.ticket_id).events, event)
        p = self.store.prefix
        writes = [history.append(self.store, event, stream_seq)]
        if isinstance(event, ev.TicketReceived):
            writes.append(Write(f"INSERT INTO {p}_numbers VALUES (?, ?) ON CONFLICT DO NOTHING",
                                (event.number, str(event.ticket_id))))
        standard = self.standards.get(event.tenant)
        for clock in decisions.clocks(events, fold_state(events), standard):
            writes.append(Write(
                f"INSERT INTO {p}_sla_clocks VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
                " (ticket_id, target) DO UPDATE SET tier = excluded.tier,"
                " due_at = excluded.due_at, met = excluded.met, once_key = excluded.once_key",
                (str(event.ticket_id), clock.target, event.tenant, clock.tier,
                 utc_text(clock.due_at), int(clock.met), clock.once_key),
            ))
        return Decision(writes=writes)

    # --- staff actions -----------------------------------------------------------------------
    def act(self, action: str, number: str, body, staff: Principal) -> ActionResult:
        decided = self.tickets.act(
            self.tickets.find(number),
            lambda state, _events, stamp: decisions.staff_action(
                action, number, state, body, staff,
                self.standards[state.tenant] if state else None, stamp))
        return action_result(number, decided)

    # --- the timer ---------------------------------------------------------------------------
    def record_due(self) -> int:
        """Act on every clock past its due time that has not been acted on yet."""
        p = self.store.prefix
        overdue = self.store.query(
            f"SELECT c.ticket_id, c.target, c.tenant, c.tier, c.due_at, c.once_key"
            f" FROM {p}_sla_clocks c WHERE c.met = 0 AND c.due_at IS NOT NULL AND c.due_at <= ?"
            f" AND NOT EXISTS (SELECT 1 FROM {p}_sla_breaches b WHERE b.ticket_id = c.ticket_id"
            " AND b.once_key = c.once_key)",
            (utc_text(self.now()),),
        )
        recorded = 0
        for ticket_id, target, tenant, tier, due_at, once_key in overdue:
            ticket = uuid.UUID(ticket_id)
            try:
                decided = self._decide_due(ticket, target, tenant, tier, from_utc_text(due_at))
            except (refusals.Conflict, refusals.Unavailable):
                continue  # a staff decision is in flight, or no NATS: look again at the next tick
            if decided is None:
                continue
            once = Write(f"INSERT INTO {p}_sla_breaches VALUES (?, ?, ?)",
                         (ticket_id, once_key, utc_text(self.now())))
            try:
                event = self.tickets.record(decided, writes=[once])
            except IntegrityError:
                continue  # another timer did it, or a staff decision just landed: next tick
            recorded += 1
            log_event(log, "tenggat terlewati", ticket_id=ticket_id, target=target, event=event.tag)
        return recorded

    def _decide_due(self, ticket: uuid.UUID, target: str, tenant: str, tier: str, due_at):
        if target == TIER_DEADLINE:  # a workflow decision: one winner with staff actions
            return self.tickets.decide(ticket, lambda state, _events, stamp: (
                decisions.auto_escalation(
                    state, tier, self.standards.get(state.tenant) if state else None, stamp)))
        # A breach changes no workflow state: it races nobody, so it needs no guard.
        return self.tickets.decide(ticket, lambda _state, _events, stamp: (
            decisions.sla_breach(ticket, tenant, target, tier, due_at, stamp)), guard=False)

    async def run_timer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.record_due)
            except Exception as exc:  # noqa: BLE001 - a busy database: try at the next tick
                log_event(log, "timer tenggat gagal; dicoba lagi", logging.WARNING, error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), self.timer_interval)
            except TimeoutError:
                pass
