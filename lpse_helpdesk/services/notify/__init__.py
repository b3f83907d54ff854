"""notify: mails to reporters and staff, SLA warnings, and webhooks to downstream systems about
tickets (owns notification sent/failed)."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from .application import TABLES, NotifyService


def consumers(app: NotifyService) -> list[ConsumerSpec]:
    return [ConsumerSpec("notify", subject_filter()[0], app.on_event)]


def tasks(app: NotifyService) -> list:
    return [app.run_sender]


SERVICE = ServiceDefinition(
    name="notify", build=NotifyService, tables=TABLES, consumers=consumers, tasks=tasks
)
