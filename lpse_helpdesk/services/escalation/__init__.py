"""escalation: tiers of the unit's chain (Admin PPE / Koordinator, then LKPP), answers back down,
SLA breaches and automatic escalation (owns escalated, escalation answered, SLA breached)."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from ...schemas.api import Message, Reason
from ...workflow.http import action_route
from .application import TABLES, EscalationService


def consumers(app: EscalationService) -> list[ConsumerSpec]:
    return [ConsumerSpec("escalation-sla", subject_filter()[0], app.on_ticket_event)]


def routes(app: EscalationService) -> list:
    return [
        action_route("escalate", Reason, app.signer,
                     lambda number, data, staff: app.act("escalate", number, data, staff)),
        action_route("answer", Message, app.signer,
                     lambda number, data, staff: app.act("answer", number, data, staff)),
    ]


def tasks(app: EscalationService) -> list:
    return [app.run_timer]


SERVICE = ServiceDefinition(
    name="escalation", build=EscalationService, tables=TABLES, consumers=consumers,
    routes=routes, tasks=tasks,
)
