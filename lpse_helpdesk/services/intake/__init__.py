"""intake: every channel's submission becomes `ticket.received` (owns received, reporter follow-ups)."""

from ...platform.service import ServiceDefinition
from .application import TABLES, IntakeService
from .http import routes

SERVICE = ServiceDefinition(name="intake", build=IntakeService, tables=TABLES, routes=routes)
