"""escalation: tiers of the unit's chain and the SLA clocks (owns escalated, escalation answered,
SLA breached). This part keeps each ticket's SLA clocks and publishes `ticket.sla_breached` once
per target when a clock passes its due time; staff escalation actions come with issue 4.

Exactly once, across restarts and replicas: the clocks are rows in the service's own store, the
timer looks for overdue rows, and a breach is recorded together with a row whose primary key is
(ticket, target), so a second timer (or a restarted one) cannot record it again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from ...platform.consumer import Decision
from ...platform.observability import log_event
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Stored, Write
from ...schemas import AnyTicketEvent, decode_event, encode_event, new_envelope
from ...schemas.events import SlaBreached
from ...sla.tickets import fold_clocks

log = logging.getLogger("lpse_helpdesk.escalation")

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_ticket_events ("
    " event_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, stream_seq BIGINT NOT NULL,"
    " body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}_ticket_events_ticket ON {p}_ticket_events (ticket_id, stream_seq)",
    "CREATE TABLE IF NOT EXISTS {p}_sla_clocks ("
    " ticket_id TEXT NOT NULL, target TEXT NOT NULL, tenant TEXT NOT NULL, tier TEXT NOT NULL,"
    " due_at TEXT, met INTEGER NOT NULL, PRIMARY KEY (ticket_id, target))",
    "CREATE TABLE IF NOT EXISTS {p}_sla_breaches ("
    " ticket_id TEXT NOT NULL, target TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    " PRIMARY KEY (ticket_id, target))",
)


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC text, so the database compares due times as strings correctly."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EscalationService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards
        self.now = ctx.now
        self.timer_interval = 1.0

    # --- the clocks follow every ticket event -------------------------------------------------
    def on_ticket_event(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        p = self.store.prefix
        rows = self.store.query(
            f"SELECT body FROM {p}_ticket_events WHERE ticket_id = ? ORDER BY stream_seq",
            (str(event.ticket_id),),
        )
        history = [decode_event(body) for (body,) in rows]
        if any(e.event_id == event.event_id for e in history):
            return Decision()  # the same event republished under a new sequence
        history.append(event)
        writes = [Write(f"INSERT INTO {p}_ticket_events VALUES (?, ?, ?, ?)",
                        (str(event.event_id), str(event.ticket_id), stream_seq,
                         encode_event(event).decode()))]
        for clock in fold_clocks(history, self.standards.get(event.tenant)):
            writes.append(Write(
                f"INSERT INTO {p}_sla_clocks VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id, target)"
                " DO UPDATE SET tier = excluded.tier, due_at = excluded.due_at, met = excluded.met",
                (str(event.ticket_id), clock.target, event.tenant, clock.tier,
                 utc_text(clock.due_at) if clock.due_at else None, int(clock.met)),
            ))
        return Decision(writes=writes)

    # --- the timer ---------------------------------------------------------------------------
    def record_due_breaches(self) -> int:
        """Record a breach for every clock past its due time that has none yet."""
        p = self.store.prefix
        overdue = self.store.query(
            f"SELECT c.ticket_id, c.target, c.tenant, c.tier, c.due_at FROM {p}_sla_clocks c"
            f" WHERE c.met = 0 AND c.due_at IS NOT NULL AND c.due_at <= ? AND NOT EXISTS"
            f" (SELECT 1 FROM {p}_sla_breaches b WHERE b.ticket_id = c.ticket_id"
            " AND b.target = c.target)",
            (utc_text(self.now()),),
        )
        recorded = 0
        for ticket_id, target, tenant, tier, due_at in overdue:
            ticket = uuid.UUID(ticket_id)
            breach = SlaBreached(
                **new_envelope(ticket, tenant), target=target, tier=tier,
                due_at=datetime.strptime(due_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
            )
            guard = Write(f"INSERT INTO {p}_sla_breaches VALUES (?, ?, ?)",
                          (ticket_id, target, utc_text(self.now())))
            try:
                self.store.record([Stored(breach, ticket, self.store.next_version(ticket))],
                                  writes=[guard])
            except IntegrityError:
                continue  # another timer recorded it first, or a concurrent decision: next tick
            recorded += 1
            log_event(log, "SLA terlewati", ticket_id=ticket_id, target=target, due_at=due_at)
        return recorded

    async def run_breach_timer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.record_due_breaches)
            except Exception as exc:  # noqa: BLE001 - a busy database: try at the next tick
                log_event(log, "timer SLA gagal; dicoba lagi", logging.WARNING, error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), self.timer_interval)
            except TimeoutError:
                pass
