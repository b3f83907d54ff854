"""A ticket's workflow state folded from its events (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..schemas import AnyTicketEvent
from ..schemas import events as ev

STATUS_AFTER = {
    "ticket.replied": "open",
    "ticket.info_requested": "waiting_reporter",
    "ticket.reporter_replied": "open",
}  # closed and reopened have their own arms below


@dataclass
class TicketState:
    received: ev.TicketReceived
    status: str = "new"
    tier: str = "helpdesk"
    category: str | None = None
    priority: str | None = None
    tier_since: datetime | None = None  # when the ticket reached its current tier
    closed_by: ev.Actor | None = None
    closed_at: datetime | None = None
    escalations: int = 0
    first_response_breached: bool = False
    resolution_breached: bool = False

    @property
    def tenant(self) -> str:
        return self.received.tenant


def fold_state(events: list[AnyTicketEvent]) -> TicketState | None:
    received = next((e for e in events if isinstance(e, ev.TicketReceived)), None)
    if received is None:
        return None
    state = TicketState(received=received, tier_since=received.occurred_at)
    for event in events:
        match event:
            case ev.TicketClassified():
                state.category, state.priority = event.category, event.priority
                if state.status == "new":
                    state.status = "open"
            case ev.EscalatedToCoordinator() | ev.EscalatedToLkpp():
                state.tier = event.to_tier if isinstance(event, ev.EscalatedToCoordinator) else "lkpp"
                state.status, state.tier_since = "escalated", event.occurred_at
                state.escalations += 1
            case ev.EscalationAnswered():
                state.tier, state.status, state.tier_since = event.to_tier, "open", event.occurred_at
            case ev.SlaBreached():
                if event.target == "first_response":
                    state.first_response_breached = True
                else:
                    state.resolution_breached = True
            case ev.TicketClosed():
                state.status, state.closed_by, state.closed_at = "closed", event.actor, event.occurred_at
            case ev.TicketReopened():
                state.status, state.tier, state.tier_since = "open", "helpdesk", event.occurred_at
            # A reporter's late reply to a closed ticket stays in its timeline, but only a
            # reopen (staff, or the reporter's "not solved") opens it again.
            case _ if event.tag in STATUS_AFTER and state.status not in ("escalated", "closed"):
                state.status = STATUS_AFTER[event.tag]
    return state
