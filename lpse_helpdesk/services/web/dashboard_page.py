"""The head-of-unit dashboard, `/staf/dasbor`: the unit's figures over a period as charts and
tables, and the period's tickets as CSV (`/staf/dasbor.csv`)."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get

from ...platform.auth import Principal
from . import charts, labels
from .answers import passthrough, refusal, unknown_unit
from .application import WebFrontend
from .render import page
from .session import staff_session
from .staff import unit_for, units_for


def period(web: WebFrontend, request: Request, unit) -> dict:
    today = web.now().astimezone(ZoneInfo(unit.calendar.timezone)).date()
    q = request.query_params
    start, end = q.get("from", ""), q.get("to", "")
    return {"start": start or today.replace(day=1).isoformat(), "end": end or today.isoformat()}


class DashboardPages(Controller):
    path = "/staf"
    guards = [staff_session]

    @get("/dasbor")
    async def dashboard(self, request: Request, who: tuple[Principal, str],
                        web: WebFrontend) -> Response:
        principal, token = who
        unit = unit_for(web, request, principal)
        if unit is None:
            return unknown_unit(request, principal, back="/")
        span = period(web, request, unit)
        answer = await web.call("GET", f"/api/v1/units/{unit.tenant}/figures",
                                staff_token=token,
                                params={"from": span["start"], "to": span["end"]})
        if not answer.ok:
            return refusal(request, answer, principal, back="/staf/antrean")
        figures = answer.body
        return page(request, "dashboard.html", staff=principal, unit=unit, f=figures,
                    units=units_for(web, principal), period=span, charts=_charts(figures),
                    share=_share(figures), query=urlencode({"tenant": unit.tenant,
                                                            "from": span["start"],
                                                            "to": span["end"]}))

    @get("/dasbor.csv")
    async def dashboard_csv(self, request: Request, who: tuple[Principal, str],
                            web: WebFrontend) -> Response:
        unit = unit_for(web, request, who[0])
        if unit is None:
            return Response("Unit tidak dikenal", status_code=404)
        span = period(web, request, unit)
        return await passthrough(web, request, f"/api/v1/units/{unit.tenant}/report.csv",
                                 staff=who, params={"from": span["start"], "to": span["end"]})


CONTROLLERS = [DashboardPages]


def _share(figures: dict) -> str:
    share = figures.get("closed_within_target_share")
    return "—" if share is None else f"{share * 100:.0f}%"


def _charts(figures: dict) -> dict:
    days = [(d["date"][5:], d["received"], d["closed"]) for d in figures.get("per_day", [])]
    satisfaction = figures.get("satisfaction") or {}
    # Short names in the chart (the full element titles are in the table beside it).
    elements = [(e["key"].capitalize(), e["average"] or 0) for e in satisfaction.get("elements", [])]
    return {
        "per_day": charts.columns("Tiket masuk dan ditutup per hari", days,
                                  legend=("masuk", "ditutup")),
        "category": charts.bars("Tiket per kategori", [
            (labels.label(labels.CATEGORY, c), n["open"] + n["closed"])
            for c, n in figures.get("by_category", {}).items()]),
        "channel": charts.bars("Tiket per kanal", [
            (labels.label(labels.CHANNEL, c), n) for c, n in figures.get("by_channel", {}).items()]),
        "escalations": charts.bars("Eskalasi per tingkat tujuan", [
            (labels.label(labels.TIER, t), n)
            for t, n in figures.get("escalations_by_tier", {}).items()]),
        "satisfaction": charts.bars("Nilai rata-rata per unsur SKM (skala 1-4)", elements,
                                    maximum=4),
    }
