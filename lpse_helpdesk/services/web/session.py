"""Staff sessions and CSRF protection for the HTML pages.

The session cookie carries the staff member's signed, expiring token (`platform.auth`): the
same credential the REST API checks, so a page can do nothing the API would refuse. It is
`HttpOnly` (scripts cannot read it), `SameSite=Lax`, `Secure` when the helpdesk is published
over HTTPS, and lives 8 hours like the token. Logging out deletes it. Forms that change
something carry Litestar's CSRF token (double-submit cookie, HMAC-signed with the secret).
"""

from __future__ import annotations

import hashlib

from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from ...platform.auth import InvalidToken, Principal, TokenSigner

SESSION_COOKIE = "lpse_staf"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "_csrf_token"


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


def current_staff(request: Request, signer: TokenSigner) -> tuple[Principal, str] | None:
    """The logged-in staff member and their token, or None (no, expired or forged cookie)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return signer.verify(token), token
    except InvalidToken:
        return None


def to_login(request: Request, message: str = "") -> Response:
    """Back to the login page, remembering where the staff member wanted to go."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    params = {"lanjut": target}
    if message:
        params["pesan"] = message
    response = Redirect("/staf/masuk", query_params=params, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
