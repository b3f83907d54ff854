"""SLA clock arithmetic in a unit's business calendar (pure functions, no I/O)."""

from lpse_helpdesk.sla.calendar import BusinessCalendar
from lpse_helpdesk.sla.clock import Clock, Pause, Target, Unit, due_at, remaining

__all__ = ["BusinessCalendar", "Clock", "Pause", "Target", "Unit", "due_at", "remaining"]
