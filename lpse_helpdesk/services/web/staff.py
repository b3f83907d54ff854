"""Staff pages: login, the live queue, the ticket page with its actions, the head-of-unit
dashboard and its CSV export. Every read and action goes to the REST API with the staff
member's own token, so the API's role and unit checks are the only ones."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from . import charts, labels
from .answers import passthrough, refusal, unavailable
from .application import ApiUnavailable, WebFrontend
from .render import fragment, page
from .session import (SESSION_COOKIE, current_staff, flash_redirect, session_cookie,
                      to_login)

QUEUE_HEADINGS = [("nomor", "Nomor"), ("subjek", "Judul"), ("kanal", "Kanal"),
                  ("kategori", "Kategori"), ("prioritas", "Prioritas"), ("status", "Status"),
                  ("tingkat", "Tingkat"), ("sisa", "Sisa waktu")]
SORT_KEYS = {"nomor": "number", "subjek": "subject", "kanal": "channel", "kategori": "category",
             "prioritas": "priority", "status": "status", "tingkat": "tier"}
PRIORITY_ORDER = {"tinggi": 0, "sedang": 1, "rendah": 2}


def _safe_next(target: str) -> str:
    """Only our own staff pages: never an open redirect to another site."""
    return target if target.startswith("/staf/") and not target.startswith("//") else "/staf/antrean"


def _action_body(action: str, form) -> dict:
    text = lambda name: (form.get(name) or "").strip()  # noqa: E731
    if action == "classify":
        return {"category": text("category"), "reason": text("reason")}
    if action in ("escalate", "reopen"):
        return {"reason": text("reason")}
    if action == "close":
        return {"resolution": text("resolution"), "publish_faq": form.get("publish_faq") == "1"}
    return {"message": text("message")}


def _filter_choices(unit) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The queue's filters: (field, title, [(value, label), ...]) for one select each."""
    options = [
        ("tier", "Tingkat", labels.TIER, [t.tier for t in unit.escalation]),
        ("status", "Status", labels.STATUS, ["new", "open", "waiting_reporter", "escalated"]),
        ("category", "Kategori", labels.CATEGORY, [c.id for c in unit.categories]),
        ("channel", "Kanal", labels.CHANNEL, list(labels.CHANNEL)),
    ]
    return [(field, title, [(v, labels.label(table, v)) for v in values])
            for field, title, table, values in options]


def _sorted(items: list[dict], key: str, desc: bool) -> list[dict]:
    if key == "sisa":  # most urgent first; clocks paused (no due time) last
        ordered = sorted(items, key=lambda i: (i["seconds_left"] is None, i["seconds_left"] or 0))
    elif key == "prioritas":
        ordered = sorted(items, key=lambda i: PRIORITY_ORDER.get(i.get("priority") or "", 9))
    else:
        ordered = sorted(items, key=lambda i: str(i.get(SORT_KEYS.get(key, "number")) or ""))
    return list(reversed(ordered)) if desc else ordered


def routes(web: WebFrontend) -> list:  # noqa: C901 - one closure per page
    def unit_for(request: Request, principal) -> object | None:
        wanted = request.query_params.get("tenant") or (
            principal.tenant if principal.tenant != "*" else "")
        return web.unit(wanted) or (web.units()[0] if principal.tenant == "*" else None)

    def units_for(principal) -> list:
        return web.units() if principal.tenant == "*" else [web.unit(principal.tenant)]

    @get("/staf/masuk", include_in_schema=False)
    async def login_page(request: Request, lanjut: FromQuery[str] = "/staf/antrean") -> Response:
        return page(request, "login.html", next_url=_safe_next(lanjut), username="")

    @post("/staf/masuk", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = form.get("username", "").strip(), form.get("password", "")
        next_url = _safe_next(form.get("lanjut", ""))
        try:
            answer = await web.call("POST", "/api/v1/auth/token", json={
                "username": username, "password": password, "otp": form.get("otp", "")})
        except ApiUnavailable:
            return unavailable(request)
        if not answer.ok:
            message = ("Nama pengguna dan kata sandi wajib diisi." if answer.status == 400
                       else answer.detail)
            return page(request, "login.html", status=answer.status, error=message,
                        next_url=next_url, username=username)
        response = Redirect(next_url, status_code=303)
        response.set_cookie(session_cookie(answer.body["access_token"], web.secure_cookies))
        return response

    @post("/staf/keluar", include_in_schema=False)
    async def logout(request: Request) -> Response:
        response = flash_redirect(request, "/staf/masuk", "Anda telah keluar.")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/staf", include_in_schema=False)
    async def staff_home(request: Request) -> Response:
        if current_staff(request, web.signer) is None:
            return to_login(request)
        return Redirect("/staf/antrean", status_code=303)

    async def queue_context(request: Request, principal, token: str):
        unit = unit_for(request, principal)
        if unit is None:
            return None, None
        q = request.query_params
        filters = {"tier": q.get("tier", ""), "status": q.get("status", ""),
                   "category": q.get("category", ""), "channel": q.get("channel", ""),
                   "kind": q.get("kind", ""), "sort": q.get("sort", "sisa"),
                   "desc": q.get("urutan") == "turun"}
        answer = await web.call("GET", "/api/v1/queues", staff_token=token, params={
            "tenant": unit.tenant,
            **{k: filters[k] for k in ("tier", "status", "category", "kind", "channel")}})
        if not answer.ok:
            return None, answer
        items = answer.body
        base = {"tenant": unit.tenant, **{k: v for k, v in filters.items()
                                         if k not in ("sort", "desc") and v}}
        sort_links = {key: urlencode({**base, "sort": key, **(
            {"urutan": "turun"} if key == filters["sort"] and not filters["desc"] else {})})
                      for key, _ in QUEUE_HEADINGS}
        query = urlencode({**base, "sort": filters["sort"],
                           **({"urutan": "turun"} if filters["desc"] else {})})
        return dict(
            unit=unit, units=units_for(principal), filters=filters, query=query,
            items=_sorted(items, filters["sort"], filters["desc"]), headings=QUEUE_HEADINGS,
            sort_links=sort_links, choices=_filter_choices(unit),
            updated=labels.local_time(web.now(), unit.calendar.timezone),
        ), None

    @get("/staf/antrean", include_in_schema=False)
    async def queue_page(request: Request) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        try:
            context, refused = await queue_context(request, *who)
        except ApiUnavailable:
            return unavailable(request, who[0])
        if refused is not None:
            return refusal(request, refused, who[0])
        if context is None:
            return page(request, "error.html", status=404, staff=who[0], heading="Unit tidak dikenal",
                        message="Unit yang diminta tidak ada.", back="/staf/antrean")
        return page(request, "queue.html", staff=who[0], **context)

    @get("/staf/antrean/tabel", include_in_schema=False)
    async def queue_table(request: Request) -> Response:
        """The table alone, for the page's 15-second refresh."""
        who = current_staff(request, web.signer)
        if who is None:
            return Response("Sesi berakhir", status_code=401)
        try:
            context, refused = await queue_context(request, *who)
        except ApiUnavailable:
            return Response("Layanan tidak tersedia", status_code=503)
        if context is None:
            return Response(refused.detail if refused else "Unit tidak dikenal",
                            status_code=refused.status if refused else 404)
        return Response(fragment("_queue_table.html", **context),
                        media_type="text/html", headers={"Cache-Control": "no-store"})

    async def ticket_page(request: Request, who, number: str, status: int = 200, error: str = "",
                          opened: str = "") -> Response:
        principal, token = who
        answer = await web.call("GET", f"/api/v1/tickets/{number}", staff_token=token)
        if not answer.ok:
            return refusal(request, answer, principal, back="/staf/antrean")
        ticket = answer.body
        unit = web.unit(ticket["tenant"])
        canned = await web.canned_replies(ticket["tenant"], ticket["subject"])
        chosen = request.query_params.get("faq", "")
        canned_text = next((e["answer"] for e in canned if e["id"] == chosen), "")
        attachments = [a for entry in ticket["timeline"] for a in entry["event"].get("attachments", [])]
        return page(request, "ticket.html", status=status, staff=principal, t=ticket, unit=unit,
                    allowed=ticket.get("allowed_actions", []), canned=canned,
                    canned_text=canned_text, attachments=attachments, error=error,
                    opened=opened or ("reply" if canned_text else ""))

    @get("/staf/tiket/{number:str}", include_in_schema=False)
    async def ticket(request: Request, number: FromPath[str]) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        try:
            return await ticket_page(request, who, number)
        except ApiUnavailable:
            return unavailable(request, who[0])

    @post("/staf/tiket/{number:str}/aksi/{action:str}", include_in_schema=False)
    async def act(request: Request, number: FromPath[str], action: FromPath[str]) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        if action not in labels.ACTION:
            return page(request, "error.html", status=404, staff=who[0], heading="Tidak ditemukan",
                        message=f"Tindakan `{action}` tidak dikenal.", back=f"/staf/tiket/{number}")
        form = await request.form()
        try:
            answer = await web.call("POST", f"/api/v1/tickets/{number}/{action}",
                                    staff_token=who[1], json=_action_body(action, form))
            if answer.status == 401:
                return to_login(request, "Sesi Anda berakhir; silakan masuk lagi.")
            if not answer.ok:
                return await ticket_page(request, who, number, status=answer.status,
                                         error=answer.detail, opened=action)
            if answer.body.get("event_id"):
                await web.until_shown(number, answer.body["event_id"], staff_token=who[1])
        except ApiUnavailable:
            return unavailable(request, who[0])
        done = f"{labels.label(labels.ACTION, action)}: berhasil."
        return flash_redirect(request, f"/staf/tiket/{number}", done)

    @get("/staf/tiket/{number:str}/lampiran/{attachment_id:str}", include_in_schema=False)
    async def attachment(request: Request, number: FromPath[str],
                         attachment_id: FromPath[str]) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        return await passthrough(web, request, f"/api/v1/tickets/{number}/attachments/{attachment_id}",
                                  staff=who)

    def period(request: Request, unit) -> dict:
        today = web.now().astimezone(ZoneInfo(unit.calendar.timezone)).date()
        q = request.query_params
        start, end = q.get("from", ""), q.get("to", "")
        return {"start": start or today.replace(day=1).isoformat(), "end": end or today.isoformat()}

    @get("/staf/dasbor", include_in_schema=False)
    async def dashboard(request: Request) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        principal, token = who
        unit = unit_for(request, principal)
        if unit is None:
            return page(request, "error.html", status=404, staff=principal,
                        heading="Unit tidak dikenal", message="Unit yang diminta tidak ada.")
        span = period(request, unit)
        try:
            answer = await web.call("GET", f"/api/v1/units/{unit.tenant}/figures", staff_token=token,
                                    params={"from": span["start"], "to": span["end"]})
        except ApiUnavailable:
            return unavailable(request, principal)
        if not answer.ok:
            return refusal(request, answer, principal, back="/staf/antrean")
        figures = answer.body
        return page(request, "dashboard.html", staff=principal, unit=unit, f=figures,
                    units=units_for(principal), period=span, charts=_charts(figures),
                    share=_share(figures), query=urlencode({"tenant": unit.tenant,
                                                            "from": span["start"], "to": span["end"]}))

    @get("/staf/dasbor.csv", include_in_schema=False)
    async def dashboard_csv(request: Request) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        unit = unit_for(request, who[0])
        if unit is None:
            return Response("Unit tidak dikenal", status_code=404)
        span = period(request, unit)
        return await passthrough(web, request, f"/api/v1/units/{unit.tenant}/report.csv", staff=who,
                                  params={"from": span["start"], "to": span["end"]})

    return [login_page, login, logout, staff_home, queue_page, queue_table, ticket, act,
            attachment, dashboard, dashboard_csv]


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
