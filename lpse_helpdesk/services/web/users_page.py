"""The admins' page of staff accounts, `/staf/pengguna`: list, add, disable, enable, unlock,
reset the password or the OTP, delete, and whether the unit requires OTP. Every read and
change is a call to the desk's API with the admin's own token, so the API's role and unit
checks are the only ones (a non-admin gets its 403)."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Request, Response, get, post

from ...platform.auth import STAFF_ROLES, Principal
from . import labels
from .answers import refusal
from .application import WebFrontend
from .pager import cursor_of, pager
from .render import page
from .session import flash_redirect, staff_session

# The page's word for a change -> (method, the API's path after the username, what is said).
CHANGES = {
    "nonaktifkan": ("POST", "/disable", "dinonaktifkan; token yang dipegangnya langsung ditolak"),
    "aktifkan": ("POST", "/enable", "diaktifkan lagi"),
    "buka-kunci": ("POST", "/unlock", "dibuka kuncinya"),
    "atur-ulang": ("POST", "/reset-password",
                   "diatur ulang kata sandinya; token yang dipegangnya langsung ditolak"),
    "hapus": ("DELETE", "", "dihapus; token yang dipegangnya langsung ditolak"),
    "atur-ulang-otp": ("POST", "/reset-totp", "diatur ulang OTP-nya; ia bisa mendaftar lagi"),
}
STATES = {"aktif": "Aktif", "nonaktif": "Nonaktif", "terkunci": "Terkunci"}


def units_of(web: WebFrontend, principal) -> list[tuple[str, str]]:
    if principal.tenant == "*":
        return [("*", "Semua unit (admin)")] + [(u.tenant, u.name) for u in web.units()]
    unit = web.unit(principal.tenant)
    return [(principal.tenant, unit.name if unit else principal.tenant)]


async def show(web: WebFrontend, request: Request, who, status: int = 200, error: str = "",
               issued: dict | None = None, typed: dict | None = None) -> Response:
    principal, token = who
    tenant = request.query_params.get("tenant", "")
    answer = await web.call("GET", "/api/v1/users", staff_token=token,
                            params={"tenant": tenant, "after": cursor_of(request)})
    if not answer.ok:
        return refusal(request, answer, principal, back="/staf/antrean")
    unit = tenant or principal.tenant  # the unit whose OTP rule the page shows
    security = await web.call("GET", f"/api/v1/units/{quote(unit, safe='')}/security",
                              staff_token=token)
    units = units_of(web, principal)
    return page(request, "users.html", status=status, staff=principal, accounts=answer.body,
                pager=pager(request, answer.headers.get("X-Next-Cursor")),
                security=security.body if security.ok else None,
                units=units, unit_names=dict(units),
                roles=[(r, labels.label(labels.ROLE, r)) for r in STAFF_ROLES],
                states=STATES, tenant=tenant, error=error, issued=issued, typed=typed or {})


class UsersPages(Controller):
    path = "/staf/pengguna"
    guards = [staff_session]

    @get("/")
    async def accounts_page(self, request: Request, who: tuple[Principal, str],
                            web: WebFrontend) -> Response:
        return await show(web, request, who)

    @post("/")
    async def add(self, request: Request, who: tuple[Principal, str],
                  web: WebFrontend) -> Response:
        form = await request.form()
        body = {name: (form.get(name) or "").strip()
                for name in ("username", "role", "tenant", "display_name")}
        body["password"] = form.get("password") or ""
        answer = await web.call("POST", "/api/v1/users", staff_token=who[1], json=body)
        if answer.status in (401, 403):
            return refusal(request, answer, who[0], back="/staf/antrean")
        if not answer.ok:  # the form again, as typed (never the password)
            return await show(web, request, who, status=answer.status, error=answer.detail,
                              typed={**body, "password": ""})
        if answer.body.get("password"):
            return await show(web, request, who, issued={
                "username": body["username"], "password": answer.body["password"]})
        return flash_redirect(request, "/staf/pengguna", f"Pengguna {body['username']} dibuat.")

    @post("/{username:str}/{change:str}")
    async def act(self, request: Request, username: str, change: str,
                  who: tuple[Principal, str], web: WebFrontend) -> Response:
        if change not in CHANGES:
            return page(request, "error.html", status=404, staff=who[0], heading="Tidak ditemukan",
                        message=f"Tindakan `{change}` tidak dikenal.", back="/staf/pengguna")
        method, path, said = CHANGES[change]
        form = await request.form()
        body = {"password": form.get("password") or ""} if change == "atur-ulang" else None
        answer = await web.call(method, f"/api/v1/users/{quote(username, safe='')}{path}",
                                staff_token=who[1], json=body)
        if answer.status in (401, 403):
            return refusal(request, answer, who[0], back="/staf/antrean")
        if not answer.ok:
            return await show(web, request, who, status=answer.status, error=answer.detail)
        if answer.body.get("password"):
            return await show(web, request, who, issued={
                "username": username, "password": answer.body["password"]})
        return flash_redirect(request, "/staf/pengguna", f"Pengguna {username} {said}.")

    @post("/keamanan")
    async def require_otp(self, request: Request, who: tuple[Principal, str],
                          web: WebFrontend) -> Response:
        form = await request.form()
        unit, wanted = form.get("tenant") or who[0].tenant, form.get("require_totp") == "1"
        answer = await web.call("POST", f"/api/v1/units/{quote(unit, safe='')}/security",
                                staff_token=who[1], json={"require_totp": wanted})
        if not answer.ok:
            return refusal(request, answer, who[0], back="/staf/pengguna")
        said = "mewajibkan" if wanted else "tidak lagi mewajibkan"
        name = "Semua unit" if unit == "*" else f"Unit {unit}"
        return flash_redirect(request, f"/staf/pengguna?tenant={quote(unit, safe='')}",
                              f"{name} {said} kode OTP saat login.")


CONTROLLERS = [UsersPages]
