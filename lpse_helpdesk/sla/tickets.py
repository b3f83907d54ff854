"""A ticket's SLA clocks, folded from its events and its unit's standard (pure, no I/O).

- first response: from receipt until the helpdesk first replies, asks for information, closes
  or escalates; target from the ticket's category.
- resolution: from receipt until closed; target from the category, or the tier's override once
  the ticket is there (Basarnas: 3x24 h once LKPP is involved).
- paused while waiting for the reporter (info requested -> reporter replied) and while closed
  (closed -> reopened); re-targeted on reclassification and escalation, because every event
  re-runs the fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..schemas import AnyTicketEvent
from ..schemas import events as ev
from .units import due

FIRST_RESPONSE_ACTS = (
    ev.TicketReplied, ev.InfoRequested, ev.TicketClosed, ev.EscalatedToCoordinator,
    ev.EscalatedToLkpp,
)


@dataclass(frozen=True)
class ClockState:
    target: str  # "first_response" | "resolution"
    due_at: datetime | None  # None: met, or paused now
    met: bool
    tier: str
    paused: bool = False


def pauses_of(events: list[AnyTicketEvent]) -> tuple[tuple[datetime, datetime | None], ...]:
    """Intervals the clocks stand still: waiting for the reporter, and closed until reopened.
    A clock ignores the part of a pause before it started (sla.clock.due_at)."""
    pauses: list[tuple[datetime, datetime | None]] = []
    closed = False
    for event in events:
        if isinstance(event, (ev.InfoRequested, ev.TicketClosed)):
            closed = closed or isinstance(event, ev.TicketClosed)
            if not pauses or pauses[-1][1] is not None:
                pauses.append((event.occurred_at, None))
        # A reporter's reply ends a wait for them, but not a close: only a reopen does.
        elif isinstance(event, ev.TicketReopened) or (
                isinstance(event, ev.ReporterReplied) and not closed):
            closed = False
            if pauses and pauses[-1][1] is None:
                pauses[-1] = (pauses[-1][0], event.occurred_at)
    return tuple(pauses)


def fold_clocks(events: list[AnyTicketEvent], standard) -> list[ClockState]:
    received = next((e for e in events if isinstance(e, ev.TicketReceived)), None)
    if received is None or standard is None:
        return []
    category, tier = None, "helpdesk"
    first_met = closed = False
    pauses = pauses_of(events)
    for event in events:
        if isinstance(event, ev.TicketClassified):
            category = event.category
        elif isinstance(event, ev.EscalatedToCoordinator):
            tier = event.to_tier
        elif isinstance(event, ev.EscalatedToLkpp):
            tier = "lkpp"
        elif isinstance(event, ev.EscalationAnswered):
            tier = event.to_tier
        if isinstance(event, FIRST_RESPONSE_ACTS):
            first_met = True
        if isinstance(event, ev.TicketClosed):
            closed = True
        elif isinstance(event, ev.TicketReopened):
            closed, tier = False, "helpdesk"  # as workflow.state: a reopen is the helpdesk's
    if category is None:
        return []
    targets = standard.category(category)
    resolution = targets.resolution
    try:
        override = standard.tier(tier).resolution_override
    except KeyError:
        override = None
    resolution = override or resolution
    started = received.occurred_at
    paused = bool(pauses) and pauses[-1][1] is None
    first_due = None if first_met else due(standard, started, targets.first_response, pauses)
    resolution_due = None if closed else due(standard, started, resolution, pauses)
    return [
        ClockState("first_response", first_due, first_met, tier, paused and not first_met),
        ClockState("resolution", resolution_due, closed, tier, paused and not closed),
    ]
