"""desk: the helpdesk's actions (owns replied, info requested, notes, closed, reopened) and the
ticket read model every other view is built on."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from .application import DeskService
from .http import routes
from .views import TABLES


def consumers(app: DeskService) -> list[ConsumerSpec]:
    return [ConsumerSpec("desk-view", subject_filter()[0], app.project)]


SERVICE = ServiceDefinition(
    name="desk", build=DeskService, tables=TABLES, consumers=consumers, routes=routes
)
