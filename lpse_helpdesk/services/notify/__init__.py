"""notify: mails to reporters and staff, SLA warnings, and webhooks to downstream systems about
tickets (owns notification sent/failed)."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import events as ev
from ...schemas import subject_filter
from . import stop
from .application import TABLES, NotifyService

# Every ticket event except notify's own delivery outcomes. A webhook delivery records a
# `notification_sent`; receiving those back made every delivery cause the next one (an endless
# loop for a subscription to all events), and they change no ticket state or clock.
WATCHED = tuple(t for t in ev.ALL_EVENTS if t not in ev.OWNERS["notify"])


def consumers(app: NotifyService) -> list[ConsumerSpec]:
    return [ConsumerSpec("notify", tuple(subject_filter(WATCHED)), app.on_event)]


def tasks(app: NotifyService) -> list:
    return [app.run_sender]


SERVICE = ServiceDefinition(
    name="notify", build=NotifyService, tables=TABLES, consumers=consumers, tasks=tasks,
    routes=stop.routes,
)
