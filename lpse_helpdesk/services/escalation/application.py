"""escalation: tiers of the unit's chain (Admin PPE / Koordinator, then LKPP), answers back down and SLA breaches (owns escalated, escalation answered, SLA breached). Its decisions arrive with issues 3 and 4; today it runs its store and outbox."""

from __future__ import annotations

from ...platform.service import ServiceContext


class EscalationService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards
