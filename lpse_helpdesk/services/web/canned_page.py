"""The unit's canned replies, `/staf/siap-pakai`: list, add, edit and delete them in plain
forms. Every read and change is a call to the desk's API with the staff member's own token,
so the API's unit check is the only one."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Request, Response, get, post

from ...platform.auth import Principal
from .answers import refusal
from .application import WebFrontend
from .pager import cursor_of, pager
from .render import page
from .session import flash_redirect, staff_session

HOME = "/staf/siap-pakai"


def _unit(request: Request, principal: Principal, form=None) -> str:
    """The unit whose replies are shown: the staff member's own (an all-units admin picks)."""
    if principal.tenant != "*":
        return principal.tenant
    return ((form.get("tenant") if form else None) or request.query_params.get("tenant", ""))


async def show(web: WebFrontend, request: Request, who, status: int = 200, error: str = "",
               typed: dict | None = None) -> Response:
    principal, token = who
    tenant = _unit(request, principal)
    replies, following, total = [], None, 0
    if tenant:
        answer = await web.call("GET", f"/api/v1/units/{quote(tenant, safe='')}/canned-replies",
                                staff_token=token, params={"after": cursor_of(request)})
        if not answer.ok:
            return refusal(request, answer, principal, back="/staf/antrean")
        replies, following = answer.body, answer.headers.get("X-Next-Cursor")
        total = int(answer.headers.get("X-Total-Count") or len(replies))  # the unit's, all
    return page(request, "canned.html", status=status, staff=principal, replies=replies,
                total=total,
                pager=pager(request, following),
                tenant=tenant, unit=web.unit(tenant) if tenant else None, units=web.units(),
                error=error, typed=typed or {})


async def change(web: WebFrontend, request: Request, who, method: str, path: str,
                 said: str) -> Response:
    form = await request.form()
    tenant = _unit(request, who[0], form)
    body = None if method == "DELETE" else {
        "title": (form.get("title") or "").strip(), "body": (form.get("body") or "").strip()}
    answer = await web.call(method, f"/api/v1/units/{quote(tenant, safe='')}/canned-replies"
                            f"{path}", staff_token=who[1], json=body)
    if answer.status in (401, 403):
        return refusal(request, answer, who[0], back="/staf/antrean")
    if not answer.ok:  # the page again, with why and what was typed
        return await show(web, request, who, status=answer.status, error=answer.detail,
                          typed=body if not path else None)
    back = HOME if who[0].tenant != "*" else f"{HOME}?tenant={quote(tenant, safe='')}"
    return flash_redirect(request, back, said)


class CannedPages(Controller):
    path = HOME
    guards = [staff_session]

    @get("/")
    async def listing(self, request: Request, who: tuple[Principal, str],
                      web: WebFrontend) -> Response:
        return await show(web, request, who)

    @post("/")
    async def add(self, request: Request, who: tuple[Principal, str],
                  web: WebFrontend) -> Response:
        return await change(web, request, who, "POST", "", "Jawaban siap pakai ditambahkan.")

    @post("/{reply_id:str}/ubah")
    async def edit(self, request: Request, reply_id: str, who: tuple[Principal, str],
                   web: WebFrontend) -> Response:
        return await change(web, request, who, "PUT", f"/{quote(reply_id, safe='')}",
                            "Jawaban siap pakai diubah.")

    @post("/{reply_id:str}/hapus")
    async def remove(self, request: Request, reply_id: str, who: tuple[Principal, str],
                     web: WebFrontend) -> Response:
        return await change(web, request, who, "DELETE", f"/{quote(reply_id, safe='')}",
                            "Jawaban siap pakai dihapus.")


CONTROLLERS = [CannedPages]
