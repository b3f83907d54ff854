"""desk: the helpdesk's actions (owns replied, info requested, notes, closed, reopened, and the
reporter's survey_submitted), staff accounts, and the ticket read model every other view is
built on."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from . import surveys, users, views
from .application import DeskService
from .http import routes


def consumers(app: DeskService) -> list[ConsumerSpec]:
    return [ConsumerSpec("desk-view", subject_filter()[0], app.project)]


SERVICE = ServiceDefinition(
    name="desk", build=DeskService, tables=(*views.TABLES, *users.TABLES, *surveys.TABLES),
    consumers=consumers, routes=routes,
)
