"""intake: every channel's submission becomes `ticket.received` (owns received, reporter
follow-ups): HTTP for channel frontends and the portal, and an SMTP listener for mail."""

from ...platform.service import ServiceDefinition
from .application import TABLES, IntakeService
from .http import routes
from .uploads import sweep


def tasks(app: IntakeService) -> list:
    return [lambda stop: sweep(app, stop), *([app.run_smtp] if app.settings.smtp_port else [])]


SERVICE = ServiceDefinition(
    name="intake", build=IntakeService, tables=TABLES, routes=routes, tasks=tasks
)
