"""The web part's HTTP entrypoint: staff pages and the public portal behind CSRF protection,
and the stylesheet and the queue's refresh script as static files."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.exceptions import PermissionDeniedException
from litestar.static_files import create_static_files_router

from . import otp_page, portal, staff, users_page
from .answers import forbidden_page
from .application import WebFrontend, remember_visitor
from .session import csrf_middleware


def routes(web: WebFrontend) -> list:
    pages = Router(path="/", route_handlers=[*staff.routes(web), *portal.routes(web),
                                             *users_page.routes(web), *otp_page.routes(web)],
                   middleware=[csrf_middleware(web.signer.secret, web.secure_cookies)],
                   exception_handlers={PermissionDeniedException: forbidden_page},
                   before_request=remember_visitor, include_in_schema=False)
    assets = create_static_files_router(path="/static", directories=[Path(__file__).parent / "static"],
                                        include_in_schema=False, send_as_attachment=False)
    return [pages, assets]
