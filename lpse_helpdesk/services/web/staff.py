"""Staff pages: the login and logout, and what the other staff pages share. Every read and
action goes to the REST API with the staff member's own token, so the API's role and unit
checks are the only ones. The pages behind a login: `queue_page.py`, `ticket_page.py`,
`dashboard_page.py`, `users_page.py`, `otp_page.py`; their guard is `session.staff_session`."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from .application import WebFrontend
from .render import page
from .session import SESSION_COOKIE, flash_redirect, session_cookie, staff_session


def _safe_next(target: str) -> str:
    """Only our own staff pages: never an open redirect to another site."""
    return target if target.startswith("/staf/") and not target.startswith("//") else "/staf/antrean"


def unit_for(web: WebFrontend, request: Request, principal) -> object | None:
    """The unit a page shows: `?tenant=`, else the staff member's own (an admin of every unit:
    the first)."""
    wanted = request.query_params.get("tenant") or (
        principal.tenant if principal.tenant != "*" else "")
    return web.unit(wanted) or (web.units()[0] if principal.tenant == "*" else None)


def units_for(web: WebFrontend, principal) -> list:
    return web.units() if principal.tenant == "*" else [web.unit(principal.tenant)]


class LoginPages(Controller):
    path = "/staf"

    @get("/masuk")
    async def login_page(self, request: Request, lanjut: str = "/staf/antrean") -> Response:
        return page(request, "login.html", next_url=_safe_next(lanjut), username="")

    @post("/masuk")
    async def login(self, request: Request, web: WebFrontend) -> Response:
        form = await request.form()
        username, password = form.get("username", "").strip(), form.get("password", "")
        next_url = _safe_next(form.get("lanjut", ""))
        answer = await web.call("POST", "/api/v1/auth/token", json={
            "username": username, "password": password, "otp": form.get("otp", "")})
        if not answer.ok:
            message = ("Nama pengguna dan kata sandi wajib diisi." if answer.status == 400
                       else answer.detail)
            return page(request, "login.html", status=answer.status, error=message,
                        next_url=next_url, username=username)
        response = Redirect(next_url, status_code=303)
        response.set_cookie(session_cookie(answer.body["access_token"], web.secure_cookies))
        return response

    @post("/keluar")
    async def logout(self, request: Request) -> Response:
        response = flash_redirect(request, "/staf/masuk", "Anda telah keluar.")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/", guards=[staff_session])
    async def staff_home(self) -> Response:
        return Redirect("/staf/antrean", status_code=303)


CONTROLLERS = [LoginPages]
