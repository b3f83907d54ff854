"""escalation: tiers of the unit's chain (Admin PPE / Koordinator, then LKPP), answers back down and SLA breaches (owns escalated, escalation answered, SLA breached). Its decisions arrive with issues 3 and 4; today it runs its store and outbox."""

from ...platform.service import ServiceDefinition
from .application import EscalationService

SERVICE = ServiceDefinition(name="escalation", build=EscalationService)
