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
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from functools import partial

from ...platform.auth import Principal
from ...platform.consumer import Decision
from ...platform.observability import log_event
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Stored, Write, from_utc_text, utc_text
from ...schemas import AnyTicketEvent, new_envelope
from ...schemas import events as ev
from ...schemas.api import ActionResult
from ...sla.tickets import fold_clocks, pauses_of
from ...sla.units import due
from ...workflow import history, rules
from ...workflow.guard import Decided, guard_for, guarded
from ...workflow.rules import TicketNotFound
from ...workflow.state import TicketState, fold_state

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
TIER_DEADLINE = "tier_deadline"


class EscalationService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards
        self.signer = ctx.signer
        self.now = ctx.now
        self.guard = guard_for(ctx)
        self.timer_interval = 1.0

    # --- clocks follow every ticket event ----------------------------------------------------
    def on_ticket_event(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        events = history.including(history.load(self.store, event.ticket_id).events, event)
        p = self.store.prefix
        writes = [history.append(self.store, event, stream_seq)]
        if isinstance(event, ev.TicketReceived):
            writes.append(Write(f"INSERT INTO {p}_numbers VALUES (?, ?) ON CONFLICT DO NOTHING",
                                (event.number, str(event.ticket_id))))
        standard = self.standards.get(event.tenant)
        state = fold_state(events)
        clocks = [(c.target, c.tier, c.due_at, c.met, c.target)
                  for c in fold_clocks(events, standard)]
        if state is not None and standard is not None:
            clocks.append(self._tier_deadline(state, events, standard))
        for target, tier, due_at, met, once_key in clocks:
            writes.append(Write(
                f"INSERT INTO {p}_sla_clocks VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
                " (ticket_id, target) DO UPDATE SET tier = excluded.tier,"
                " due_at = excluded.due_at, met = excluded.met, once_key = excluded.once_key",
                (str(event.ticket_id), target, event.tenant, tier, utc_text(due_at), int(met),
                 once_key),
            ))
        return Decision(writes=writes)

    def _tier_deadline(self, state: TicketState, events, standard):
        """When the current tier must have acted, or None (no deadline, top of chain, closed)."""
        deadline = standard.tier(state.tier).deadline
        visit = f"tier:{state.tier}@{utc_text(state.tier_since)}"  # a later visit: a new key
        if (deadline is None or state.status in ("closed", "waiting_reporter")
                or standard.tier_after(state.tier) is None):
            return (TIER_DEADLINE, state.tier, None, False, visit)
        at = due(standard, state.tier_since, deadline, pauses_of(events))
        return (TIER_DEADLINE, state.tier, at, False, visit)

    # --- staff actions -----------------------------------------------------------------------
    def act(self, action: str, number: str, body, staff: Principal) -> ActionResult:
        rows = self.store.query(f"SELECT ticket_id FROM {self.store.prefix}_numbers WHERE number = ?",
                                (number,))
        if not rows:
            raise TicketNotFound(number)
        ticket_id = uuid.UUID(rows[0][0])
        actor = ev.Actor(id=staff.username, role=staff.role)

        def decide() -> Decided:
            loaded = history.load(self.store, ticket_id)
            state = fold_state(loaded.events)
            if not staff.may_act_in(state.tenant):
                raise rules.forbidden(f"tiket {number} milik unit `{state.tenant}`, bukan unit Anda")
            target = rules.check(action, state, staff.role, self.standards[state.tenant])
            if action == "escalate":
                event = self._escalation(state, target, body.reason, actor, automatic=False)
            else:
                event = ev.EscalationAnswered(**new_envelope(ticket_id, state.tenant, self.now()),
                                              from_tier=state.tier, to_tier=target,
                                              message=body.message, actor=actor)
            return Decided(event, loaded.version, tuple(loaded.events))

        decided = guarded(self.guard, ticket_id, partial(history.event_ids, self.store, ticket_id), decide)
        event = decided.event
        self.store.record([Stored(event, ticket_id, decided.version + 1)])
        after = decided.state_after()
        return ActionResult(number=number, type=event.tag, event_id=event.event_id,
                            status=after.status, tier=after.tier)

    def _escalation(self, state: TicketState, to_tier: str, reason: str, actor: ev.Actor,
                    automatic: bool):
        envelope = new_envelope(state.received.ticket_id, state.tenant, self.now())
        standard = self.standards[state.tenant]
        override = standard.tier(to_tier).resolution_override
        resolution_due = due(standard, state.received.occurred_at, override) if override else None
        if to_tier == "lkpp":
            return ev.EscalatedToLkpp(**envelope, from_tier=state.tier, reason=reason,
                                      actor=actor, automatic=automatic,
                                      resolution_due=resolution_due)
        return ev.EscalatedToCoordinator(**envelope, from_tier=state.tier, to_tier=to_tier,
                                         reason=reason, actor=actor, automatic=automatic,
                                         resolution_due=resolution_due)

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
                if target == TIER_DEADLINE:  # a workflow decision: one winner with staff actions
                    decided = guarded(self.guard, ticket, partial(history.event_ids, self.store, ticket),
                                      lambda t=ticket, v=tier: self._auto_escalation(t, v))
                else:
                    breach = ev.SlaBreached(**new_envelope(ticket, tenant, self.now()),
                                            target=target, tier=tier, due_at=from_utc_text(due_at))
                    decided = Decided(breach, history.load(self.store, ticket).version)
            except rules.ActionRefused:
                continue  # a staff decision is in flight: look again at the next tick
            if decided is None:
                continue
            event = decided.event
            once = Write(f"INSERT INTO {p}_sla_breaches VALUES (?, ?, ?)",
                         (ticket_id, once_key, utc_text(self.now())))
            try:
                self.store.record([Stored(event, ticket, decided.version + 1)], writes=[once])
            except IntegrityError:
                continue  # another timer did it, or a staff decision just landed: next tick
            recorded += 1
            log_event(log, "tenggat terlewati", ticket_id=ticket_id, target=target, event=event.tag)
        return recorded

    def _auto_escalation(self, ticket_id: uuid.UUID, tier: str) -> Decided | None:
        loaded = history.load(self.store, ticket_id)
        state = fold_state(loaded.events)
        standard = self.standards.get(state.tenant) if state else None
        if state is None or standard is None or state.tier != tier or state.status == "closed":
            return None  # the ticket moved on since the clock was written
        following = standard.tier_after(tier)
        if following is None:
            return None
        deadline = standard.tier(tier).deadline
        reason = (f"otomatis: tingkat `{tier}` belum menyelesaikan tiket dalam "
                  f"{deadline.describe()}; dilaporkan ke {standard.monitor_role}")
        return Decided(self._escalation(state, following, reason, ev.SYSTEM, automatic=True),
                       loaded.version)

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
