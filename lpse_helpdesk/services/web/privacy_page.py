"""The admins' page of reporters' personal data, `/staf/data-pribadi` (UU PDP): what is held
about the owner of an e-mail address in a unit (the export, shown and downloadable as JSON),
and its erasure after a confirmation; the same for a staff account (`?username=`). Every read and change is a call to the desk's API with
the admin's own token, so the API's role and unit checks are the only ones."""

from __future__ import annotations

import json
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post

from ...platform.auth import Principal
from .answers import refusal
from .application import WebFrontend
from .render import page
from .session import staff_session
from .staff import units_for

API = "/api/v1/personal-data"
STAFF_API = f"{API}/staff"


async def show(web: WebFrontend, request: Request, who, tenant: str, email: str,
               status: int = 200, error: str = "", erased: dict | None = None,
               username: str = "", staff_erased: dict | None = None) -> Response:
    principal, token = who
    found = staff = None
    if username and not error:
        answer = await web.call("GET", f"{STAFF_API}/{quote(username, safe='')}",
                                staff_token=token)
        if answer.status in (401, 403):
            return refusal(request, answer, principal, back="/staf/antrean")
        if answer.ok:
            staff = answer.body
        else:
            status, error = answer.status, answer.detail
    if email and not error:
        answer = await web.call("GET", API, staff_token=token,
                                params={"tenant": tenant, "email": email})
        if answer.status in (401, 403):
            return refusal(request, answer, principal, back="/staf/antrean")
        if answer.ok:
            found = answer.body
        else:
            status, error = answer.status, answer.detail
    return page(request, "privacy.html", status=status, staff=principal,
                units=[u for u in units_for(web, principal) if u], tenant=tenant, email=email,
                found=found, error=error, erased=erased, username=username, account=staff,
                staff_erased=staff_erased)


class PrivacyPages(Controller):
    path = "/staf/data-pribadi"
    guards = [staff_session]

    @get("/")
    async def person(self, request: Request, who: tuple[Principal, str],
                     web: WebFrontend) -> Response:
        q = request.query_params
        tenant = q.get("tenant") or (who[0].tenant if who[0].tenant != "*" else "")
        return await show(web, request, who, tenant, (q.get("email") or "").strip(),
                          username=(q.get("username") or "").strip())

    @get("/unduh")
    async def download(self, request: Request, who: tuple[Principal, str],
                       web: WebFrontend) -> Response:
        q = request.query_params
        answer = await web.call("GET", API, staff_token=who[1], params={
            "tenant": q.get("tenant", ""), "email": q.get("email", "")})
        if not answer.ok:
            return refusal(request, answer, who[0], back="/staf/data-pribadi")
        return Response(json.dumps(answer.body, ensure_ascii=False, indent=2),
                        media_type="application/json", headers={
                            "Content-Disposition": 'attachment; filename="data-pribadi.json"'})

    @get("/unduh-staf")
    async def download_staff(self, request: Request, who: tuple[Principal, str],
                             web: WebFrontend) -> Response:
        username = request.query_params.get("username", "")
        answer = await web.call("GET", f"{STAFF_API}/{quote(username, safe='')}",
                                staff_token=who[1])
        if not answer.ok:
            return refusal(request, answer, who[0], back="/staf/data-pribadi")
        return Response(json.dumps(answer.body, ensure_ascii=False, indent=2),
                        media_type="application/json", headers={
                            "Content-Disposition": 'attachment; filename="data-pribadi-staf.json"'})

    @post("/hapus-staf")
    async def erase_staff(self, request: Request, who: tuple[Principal, str],
                          web: WebFrontend) -> Response:
        form = await request.form()
        username, tenant = (form.get("username") or "").strip(), form.get("tenant") or ""
        if form.get("yakin") != "ya":
            return await show(web, request, who, tenant, "", status=400, username=username,
                              error="Centang konfirmasi dulu: penghapusan tidak bisa dibatalkan.")
        answer = await web.call("POST", f"{STAFF_API}/{quote(username, safe='')}/erase",
                                staff_token=who[1], json={})
        if answer.status in (401, 403):
            return refusal(request, answer, who[0], back="/staf/antrean")
        if not answer.ok:
            return await show(web, request, who, tenant, "", status=answer.status,
                              error=answer.detail)
        return await show(web, request, who, tenant, "", staff_erased=answer.body)

    @post("/hapus")
    async def erase(self, request: Request, who: tuple[Principal, str],
                    web: WebFrontend) -> Response:
        form = await request.form()
        tenant, email = form.get("tenant") or "", (form.get("email") or "").strip()
        if form.get("yakin") != "ya":
            return await show(web, request, who, tenant, email, status=400,
                              error="Centang konfirmasi dulu: penghapusan tidak bisa dibatalkan.")
        answer = await web.call("POST", f"{API}/erase", staff_token=who[1],
                                json={"tenant": tenant, "email": email})
        if answer.status in (401, 403):
            return refusal(request, answer, who[0], back="/staf/antrean")
        if not answer.ok:
            return await show(web, request, who, tenant, email, status=answer.status,
                              error=answer.detail)
        return await show(web, request, who, tenant, "", erased=answer.body)


CONTROLLERS = [PrivacyPages]
