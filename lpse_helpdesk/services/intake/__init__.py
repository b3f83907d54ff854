"""intake: every channel's submission becomes `ticket.received` (owns received, reporter
follow-ups): HTTP for channel frontends and the portal, and an SMTP listener for mail."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from .application import TABLES, IntakeService
from .http import routes
from . import fetch, privacy, ticket_facts
from .smtp import mail_intake, serve_smtp
from .uploads import sweep


def tasks(app: IntakeService) -> list:
    # The SMTP listener is started here, beside the service: smtp.py uses the service, so the
    # service does not import it back.
    def run_smtp(stop):
        return serve_smtp(app, app.broker, app.settings.http_host, app.settings.smtp_port, stop)

    # The units' own mailboxes go through the same intake as the SMTP listener (fetch.py).
    fetching = fetch.tasks(app, lambda: mail_intake(app, app.broker)[0]) if app.broker else []
    return [lambda stop: sweep(app, stop), *([run_smtp] if app.settings.smtp_port else []),
            *fetching, *([lambda stop: privacy.delete_files(app, stop)] if app.broker else [])]


def consumers(app: IntakeService) -> list[ConsumerSpec]:
    # The erasure of a reporter's data, and the facts a mail reply is judged by
    # (ticket_facts.py); intake decides nothing else from the stream.
    return [ConsumerSpec("intake-privacy", tuple(subject_filter(privacy.WATCHED)),
                         privacy.scrubber(app.store), inline=True),
            ConsumerSpec(ticket_facts.CONSUMER, tuple(subject_filter(ticket_facts.WATCHED)),
                         ticket_facts.projector(app.store),
                         rebuild_tables=ticket_facts.REBUILD_TABLES, inline=True)]


SERVICE = ServiceDefinition(
    name="intake", build=IntakeService, tables=(*TABLES, *privacy.TABLES, *ticket_facts.TABLES),
    routes=routes, tasks=tasks,
    reports=fetch.readiness, consumers=consumers,
)
