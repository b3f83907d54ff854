"""escalation: tiers of the unit's chain (Admin PPE / Koordinator, then LKPP), answers back down
and SLA breaches (owns escalated, escalation answered, SLA breached). Today: the SLA clocks and
the breach timer; staff escalation actions arrive with issue 4."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from .application import TABLES, EscalationService


def consumers(app: EscalationService) -> list[ConsumerSpec]:
    return [ConsumerSpec("escalation-sla", subject_filter()[0], app.on_ticket_event)]


def tasks(app: EscalationService) -> list:
    return [app.run_breach_timer]


SERVICE = ServiceDefinition(
    name="escalation", build=EscalationService, tables=TABLES, consumers=consumers, tasks=tasks
)
