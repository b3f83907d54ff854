"""The cookies of the HTML pages: staff sessions, reporters' tickets, one-time messages, CSRF.

The session cookie carries the staff member's signed, expiring token (`platform.auth`): the
same credential the REST API checks, so a page can do nothing the API would refuse. It is
`HttpOnly` (scripts cannot read it), `SameSite=Lax`, `Secure` when the helpdesk is published
over HTTPS, and lives 8 hours like the token. Logging out deletes it. Forms that change
something carry Litestar's CSRF token (double-submit cookie, HMAC-signed with the secret).

A reporter's access token lives in a cookie per ticket (`tiket_<NUMBER>`, same attributes,
path `/portal`), never in a page's address: addresses end up in browser histories, proxy
logs and the `Referer` of every link. The mailed link hands the token over once and the
portal swaps it for the cookie (`portal.py`).

A one-time message ("Balasan Anda terkirim") rides to the next page in a cookie too, signed
and short-lived, so only the helpdesk can make a page say something: a `?pesan=` in the
address let any link put its own words on a helpdesk page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from ...platform.auth import InvalidToken, Principal, TokenSigner

SESSION_COOKIE = "lpse_staf"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "_csrf_token"
FLASH_COOKIE = "lpse_pesan"
FLASH_SECONDS = 300  # long enough for the redirect it rides on, useless to replay later
# A reporter comes back for weeks (the answer, the confirmation, the survey); the mailed link
# or the number and token on the lookup form set the cookie again after that.
TICKET_SECONDS = 30 * 24 * 3600


def csrf_middleware(secret: bytes, secure: bool) -> DefineMiddleware:
    """CSRF for the pages' forms; the JSON API authenticates by header, not cookie."""
    key = hashlib.sha256(b"csrf:" + secret).hexdigest()
    config = CSRFConfig(secret=key, cookie_name="lpse_csrf", cookie_secure=secure,
                        cookie_httponly=True, cookie_samesite="lax")
    return DefineMiddleware(CSRFMiddleware, config=config)


def csrf_token(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def session_cookie(token: str, secure: bool) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=token, max_age=SESSION_SECONDS, path="/",
                  httponly=True, secure=secure, samesite="lax")


def current_staff(request: ASGIConnection, signer: TokenSigner) -> tuple[Principal, str] | None:
    """The logged-in staff member and their token, or None (no, expired or forged cookie)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return signer.verify(token), token
    except InvalidToken:
        return None


class NotLoggedIn(Exception):
    """A staff page was asked for without a valid session: `to_login` answers it."""


def staff_session(connection: ASGIConnection, _handler) -> None:
    """Guard of the staff pages: a valid session cookie, before anything else is read."""
    if current_staff(connection, connection.app.state.signer) is None:
        raise NotLoggedIn


async def provide_session(request: Request) -> tuple[Principal, str]:
    """The `who` dependency of the staff pages: (the staff member, their token)."""
    who = current_staff(request, request.app.state.signer)
    if who is None:  # expired between the guard and here
        raise NotLoggedIn
    return who


def login_again(request: Request, _exc: NotLoggedIn) -> Response:
    return to_login(request)


def to_login(request: Request, message: str = "") -> Response:
    """Back to the login page, remembering where the staff member wanted to go."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = flash_redirect(request, "/staf/masuk", message, {"lanjut": target})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- signed values -------------------------------------------------------------------------
def _mac(secret: bytes, purpose: str, text: str) -> str:
    """A MAC under a key of its own per purpose, so no cookie can stand in for another."""
    key = hashlib.sha256(f"web-cookie:{purpose}:".encode() + secret).digest()
    digest = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _signed_by_us(signer: TokenSigner, purpose: str, text: str, mac: str) -> bool:
    """Any key still in use (`platform.keys`): a rotation keeps cookies as it keeps links."""
    return mac.isascii() and any(hmac.compare_digest(mac, _mac(key.secret, purpose, text))
                                 for key in signer.keys)


# --- a reporter's tickets --------------------------------------------------------------------
def _ticket_cookie_name(number: str) -> str:
    return "tiket_" + re.sub(r"[^A-Z0-9-]", "", number.strip().upper())[:40]


def ticket_cookie(signer: TokenSigner, number: str, token: str, secure: bool) -> Cookie:
    """The reporter's token for one ticket, bound to its number by the signature."""
    mac = _mac(signer.secret, "ticket", f"{number.strip().upper()}:{token}")
    return Cookie(key=_ticket_cookie_name(number), value=f"{token}.{mac}",
                  max_age=TICKET_SECONDS, path="/portal", httponly=True, secure=secure,
                  samesite="lax")


def ticket_token(request: Request, signer: TokenSigner, number: str) -> str:
    """The access token this browser holds for the ticket, or "" (none, or not ours)."""
    token, _, mac = request.cookies.get(_ticket_cookie_name(number), "").rpartition(".")
    if token and _signed_by_us(signer, "ticket", f"{number.strip().upper()}:{token}", mac):
        return token
    return ""


def forget_ticket(response: Response, number: str) -> Response:
    response.delete_cookie(_ticket_cookie_name(number), path="/portal")
    return response


# --- one-time messages -----------------------------------------------------------------------
def flash_redirect(request: Request, url: str, message: str,
                   query_params: dict | None = None) -> Response:
    """A 303 to `url` whose next page shows `message` once. The message is no secret, so it is
    `Secure` when this request came over HTTPS (as uvicorn reads it from a trusted proxy)."""
    response = Redirect(url, status_code=303, query_params=query_params)
    if message:
        signer = request.app.state.signer
        body = base64.urlsafe_b64encode(json.dumps(
            [message, int(time.time()) + FLASH_SECONDS]).encode()).rstrip(b"=").decode()
        response.set_cookie(Cookie(
            key=FLASH_COOKIE, value=f"{body}.{_mac(signer.secret, 'flash', body)}",
            max_age=FLASH_SECONDS, path="/", httponly=True, samesite="lax",
            secure=request.url.scheme == "https"))
    return response


def flash_message(request: Request) -> str:
    """The message the previous response left for this page, or "" (none, forged, stale)."""
    body, _, mac = request.cookies.get(FLASH_COOKIE, "").rpartition(".")
    if not body or not _signed_by_us(request.app.state.signer, "flash", body, mac):
        return ""
    try:
        message, expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return ""
    return message if isinstance(message, str) and expires >= time.time() else ""
