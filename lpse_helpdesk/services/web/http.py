"""The web part's HTTP entrypoint: staff pages and the public portal behind CSRF protection,
and the stylesheet and the queue's refresh script as static files.

The staff pages' controllers share one guard (`session.staff_session`): a browser without a
valid session is sent to the login page (`session.login_again`), remembering where it wanted
to go. The `web` dependency is the frontend, `who` the staff member and their token."""

from __future__ import annotations

from pathlib import Path

from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from litestar.static_files import create_static_files_router

from ...platform.http import service_routes
from . import (
    canned_page, counter_page, dashboard_page, faq_page, mailbox_page, otp_page, portal,
    privacy_page,
    queue_page, reply_page, reporter_page, search_page, skm_page, staff, ticket_page, users_page,
)
from .answers import forbidden_page, unavailable_page
from .application import ApiUnavailable, WebFrontend, remember_visitor
from .session import NotLoggedIn, csrf_middleware, login_again, provide_session

CONTROLLERS = [*staff.CONTROLLERS, *queue_page.CONTROLLERS, *ticket_page.CONTROLLERS,
               *search_page.CONTROLLERS, *counter_page.CONTROLLERS, *faq_page.CONTROLLERS,
               *dashboard_page.CONTROLLERS, *users_page.CONTROLLERS, *otp_page.CONTROLLERS,
               *canned_page.CONTROLLERS, *skm_page.CONTROLLERS, *portal.CONTROLLERS,
               *reporter_page.CONTROLLERS, *reply_page.CONTROLLERS, *privacy_page.CONTROLLERS,
               *mailbox_page.CONTROLLERS]


def routes(web: WebFrontend) -> list:
    pages = service_routes(
        web, *CONTROLLERS, provided={"web": web, "who": Provide(provide_session)},
        middleware=[csrf_middleware(web.signer.secret, web.secure_cookies)],
        exception_handlers={PermissionDeniedException: forbidden_page, NotLoggedIn: login_again,
                            ApiUnavailable: unavailable_page},
        before_request=remember_visitor, include_in_schema=False)
    assets = create_static_files_router(path="/static", directories=[Path(__file__).parent / "static"],
                                        include_in_schema=False, send_as_attachment=False)
    return [pages, assets]
