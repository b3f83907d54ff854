"""Jinja2 pages: one environment, autoescaped, with the labels as filters.

Every page extends `base.html` (skip link, landmarks, one stylesheet, no external resources:
the pages work offline and without JavaScript).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from markupsafe import Markup

from ...schemas.survey import PROFILE_QUESTIONS
from . import labels
from .session import CSRF_FIELD, FLASH_COOKIE, csrf_token, flash_message

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
_env.filters.update(
    status=lambda c: labels.label(labels.STATUS, c), tier=lambda c: labels.label(labels.TIER, c),
    role=lambda c: labels.label(labels.ROLE, c), category=lambda c: labels.label(labels.CATEGORY, c),
    channel=lambda c: labels.label(labels.CHANNEL, c),
    priority=lambda c: labels.label(labels.PRIORITY, c), kind=lambda c: labels.label(labels.KIND, c),
    action=lambda c: labels.label(labels.ACTION, c), local=labels.local_time,
    machine_time=labels.machine_time,
    duration=labels.duration, event_title=labels.event_title, who=labels.who, what=labels.what,
)
_env.globals["skm_profile"] = PROFILE_QUESTIONS  # the survey's profile questions (_survey_profile.html)


def page(request: Request, template: str, status: int = 200, **context) -> Response:
    token = csrf_token(request)
    context.setdefault("staff", None)
    context.setdefault("flash", flash_message(request))
    html = _env.get_template(template).render(
        csrf_input=Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'),
        request_path=request.url.path, **context)
    response = Response(html, status_code=status, media_type="text/html",  # + charset
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Referrer-Policy": "same-origin",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' "
                                 "data:; style-src 'self'; frame-ancestors 'none'"})
    if FLASH_COOKIE in request.cookies:  # shown once: a reload does not repeat it
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def fragment(template: str, **context) -> str:
    return _env.get_template(template).render(**context)
