"""desk: the helpdesk's actions (owns replied, info requested, notes, closed, reopened, and the
reporter's survey_submitted), staff accounts, and the ticket read model every other view is
built on."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from . import access_log, canned, privacy, privacy_http, retention, rotation, surveys, users, views
from .application import DeskService
from .http import routes


def consumers(app: DeskService) -> list[ConsumerSpec]:
    # Every ticket event: the timeline shows them all and the state folds the whole history.
    # Rebuildable in bulk (`rebuild desk`): only the projection's rows are rebuilt; the reopen
    # and the round-robin assignment this consumer may decide are left to the live consumer
    # (see `platform/rebuild.py`).
    return [ConsumerSpec("desk-view", subject_filter()[0], app.project,
                         rebuild_tables=views.REBUILD_TABLES, bulk=app.bulk_project,
                         decides=app.decides)]


SERVICE = ServiceDefinition(
    name="desk", build=DeskService, tables=(*views.TABLES, *users.TABLES, *surveys.TABLES,
                                          *canned.TABLES, *rotation.TABLES,
                                          *access_log.TABLES, *privacy.TABLES),
    consumers=consumers, routes=lambda app: [*routes(app), *privacy_http.routes(app)],
    tasks=lambda app: [app.relay_revocations, lambda stop: retention.run(app, stop)],
)
