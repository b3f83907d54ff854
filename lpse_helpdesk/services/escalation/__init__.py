"""escalation: the tiers of the unit's chain (any length: Koordinator and/or Admin PPE, then LKPP),
answers back down, SLA breaches and automatic escalation (owns escalated, escalation answered,
SLA breached)."""

from ...platform.erasure_consumer import dead_letter_scrub
from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from ...schemas import events as ev
from .application import TABLES, EscalationService
from .http import routes


# Every event its folds read (`workflow.state.fold_state`, `sla.tickets.fold_clocks` and
# `pauses_of`), which also covers every decision the cross-service guard may wait for (replied,
# info requested, closed, reopened, escalated, answered, breached). Not: notes, the reporter's
# feedback and survey, and notify's delivery outcomes: they change no state and no clock.
CLOCK_EVENTS = (
    ev.TicketReceived, ev.TicketClassified, ev.TicketReplied, ev.InfoRequested,
    ev.ReporterReplied, ev.EscalatedToCoordinator, ev.EscalatedToLkpp, ev.EscalationAnswered,
    ev.SlaBreached, ev.TicketClosed, ev.TicketMerged, ev.TicketReopened,
)


def consumers(app: EscalationService) -> list[ConsumerSpec]:
    return [ConsumerSpec("escalation-sla", tuple(subject_filter(CLOCK_EVENTS)),
                         app.on_ticket_event), dead_letter_scrub("escalation", app.store)]


def tasks(app: EscalationService) -> list:
    return [app.run_timer]


SERVICE = ServiceDefinition(
    name="escalation", build=EscalationService, tables=TABLES, consumers=consumers,
    routes=routes, tasks=tasks,
)
