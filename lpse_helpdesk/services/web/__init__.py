"""web: the staff web view (login, queues, ticket page, head-of-unit dashboard) and the public
portal (new ticket, status, reply, confirmation, SKM survey, FAQ). It owns no events: every page
reads and acts through the REST API with the caller's own credentials."""

from ...platform.service import ServiceDefinition
from .application import WebFrontend
from .http import routes

SERVICE = ServiceDefinition(
    name="web", build=WebFrontend, routes=routes, tasks=lambda app: [app.close_on_stop],
)
