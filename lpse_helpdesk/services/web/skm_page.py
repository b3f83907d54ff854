"""The unit's SKM report per semester or year (`/staf/skm`, printable, and `/staf/skm.csv`), and
the personal-data access log's export (`/staf/akses-data`, `/staf/akses-data.csv`): pages over
the desk's API, which checks the roles."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get

from ...platform.auth import Principal
from .answers import passthrough, refusal, unknown_unit
from .application import WebFrontend
from .render import page
from .session import staff_session
from .staff import unit_for, units_for

ACCESS_LOG_ROLES = ("koordinator", "admin")
CHOICES = (("1", "Semester I (Januari–Juni)"), ("2", "Semester II (Juli–Desember)"),
           ("tahun", "Satu tahun"))


def chosen(web: WebFrontend, request: Request, unit) -> dict:
    """The period picked (`tahun`, `periode` 1, 2 or `tahun`), by default today's semester;
    anything else reaches the API as typed, which names it."""
    today = web.now().astimezone(ZoneInfo(unit.calendar.timezone)).date()
    q = request.query_params
    year = (q.get("tahun") or str(today.year)).strip()[:8]
    half = q.get("periode") or ("1" if today.month <= 6 else "2")
    code = year if half == "tahun" else f"{year}-S{half[:2]}"
    return {"year": year, "half": half, "code": code}


class SkmPages(Controller):
    path = "/staf"
    guards = [staff_session]

    @get("/skm")
    async def skm(self, request: Request, who: tuple[Principal, str],
                  web: WebFrontend) -> Response:
        principal, token = who
        unit = unit_for(web, request, principal)
        if unit is None:
            return unknown_unit(request, principal, back="/")
        span = chosen(web, request, unit)
        answer = await web.call("GET", f"/api/v1/units/{unit.tenant}/skm", staff_token=token,
                                params={"periode": span["code"]})
        if not answer.ok:
            return refusal(request, answer, principal, back="/staf/skm")
        return page(request, "skm.html", staff=principal, unit=unit, r=answer.body,
                    units=units_for(web, principal), span=span, choices=CHOICES,
                    query=urlencode({"tenant": unit.tenant, "tahun": span["year"],
                                     "periode": span["half"]}))

    @get("/skm.csv")
    async def skm_csv(self, request: Request, who: tuple[Principal, str],
                      web: WebFrontend) -> Response:
        unit = unit_for(web, request, who[0])
        if unit is None:
            return Response("Unit tidak dikenal", status_code=404)
        span = chosen(web, request, unit)
        return await passthrough(web, request, f"/api/v1/units/{unit.tenant}/skm.csv",
                                 staff=who, params={"periode": span["code"]})

    @get("/akses-data")
    async def access_log(self, request: Request, who: tuple[Principal, str],
                         web: WebFrontend) -> Response:
        principal = who[0]
        unit = unit_for(web, request, principal)
        if unit is None:
            return unknown_unit(request, principal, back="/")
        if principal.role not in ACCESS_LOG_ROLES:  # the API refuses the export too
            return page(request, "error.html", status=403, staff=principal,
                        heading="Akses ditolak", back="/staf/antrean",
                        message="Log akses data pribadi hanya untuk koordinator dan admin.")
        today = web.now().astimezone(ZoneInfo(unit.calendar.timezone)).date()
        since = request.query_params.get("since") or today.replace(day=1).isoformat()
        return page(request, "access_log.html", staff=principal, unit=unit,
                    units=units_for(web, principal), since=since[:40],
                    query=urlencode({"tenant": unit.tenant, "since": since[:40]}))

    @get("/akses-data.csv")
    async def access_csv(self, request: Request, who: tuple[Principal, str],
                         web: WebFrontend) -> Response:
        unit = unit_for(web, request, who[0])
        if unit is None:
            return Response("Unit tidak dikenal", status_code=404)
        q = request.query_params
        return await passthrough(web, request,
                                 f"/api/v1/units/{unit.tenant}/personal-data-access.csv",
                                 staff=who, params={"since": q.get("since", ""),
                                                    "until": q.get("until", "")})


CONTROLLERS = [SkmPages]
