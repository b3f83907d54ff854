"""The staff's live queue, `/staf/antrean`: the unit's open tickets with filters and sorting,
and the table alone for the page's 15-second refresh."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get

from ...platform.auth import Principal
from . import labels, mailbox_page
from .answers import refusal
from .application import ApiUnavailable, WebFrontend
from .render import fragment, page
from .session import NotLoggedIn, staff_session
from .staff import unit_for, units_for

QUEUE_HEADINGS = [("nomor", "Nomor"), ("subjek", "Judul"), ("pelapor", "Pelapor"),
                  ("diterima", "Diterima"), ("kanal", "Kanal"), ("kategori", "Kategori"),
                  ("prioritas", "Prioritas"), ("status", "Status"), ("tingkat", "Tingkat"), ("petugas", "Petugas"), ("sisa", "Sisa waktu")]
SORT_KEYS = {"nomor": "number", "subjek": "subject", "pelapor": "reporter_name",
             "diterima": "received_at", "kanal": "channel", "kategori": "category",
             "prioritas": "priority", "status": "status", "tingkat": "tier",
             "petugas": "assignee"}
FILTERS = ("tier", "status", "category", "kind", "channel", "assignee")
PRIORITY_ORDER = {"tinggi": 0, "sedang": 1, "rendah": 2}
PER_PAGE = 50  # tickets a page; the page sorts all of them first, then shows its share


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


def _page_number(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


def _sorted(items: list[dict], key: str, desc: bool) -> list[dict]:
    if key == "sisa":  # most urgent first; clocks paused (no due time) last
        ordered = sorted(items, key=lambda i: (i["seconds_left"] is None, i["seconds_left"] or 0))
    elif key == "prioritas":
        ordered = sorted(items, key=lambda i: PRIORITY_ORDER.get(i.get("priority") or "", 9))
    else:
        ordered = sorted(items, key=lambda i: str(i.get(SORT_KEYS.get(key, "number")) or ""))
    return list(reversed(ordered)) if desc else ordered


async def queue_context(web: WebFrontend, request: Request, principal, token: str):
    unit = unit_for(web, request, principal)
    if unit is None:
        return None, None
    q = request.query_params
    # `assignee`: a username; "Tiket saya" is the signed-in staff member's own.
    filters = {**{k: q.get(k, "").strip()[:64] for k in FILTERS},
               "sort": q.get("sort", "sisa"), "desc": q.get("urutan") == "turun"}
    answer = await web.call("GET", "/api/v1/queues", staff_token=token, params={
        "tenant": unit.tenant, **{k: filters[k] for k in FILTERS}})
    if not answer.ok:
        return None, answer
    items = _sorted(answer.body, filters["sort"], filters["desc"])
    base = {"tenant": unit.tenant, **{k: v for k, v in filters.items()
                                     if k not in ("sort", "desc") and v}}
    sort_links = {key: urlencode({**base, "sort": key, **(
        {"urutan": "turun"} if key == filters["sort"] and not filters["desc"] else {})})
                  for key, _ in QUEUE_HEADINGS}
    ordered = {**base, "sort": filters["sort"], **({"urutan": "turun"} if filters["desc"] else {})}
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(_page_number(q.get("halaman")), pages)
    query = urlencode({**ordered, **({"halaman": number} if number > 1 else {})})
    return dict(
        unit=unit, units=units_for(web, principal), filters=filters, query=query,
        items=items[(number - 1) * PER_PAGE:number * PER_PAGE], total=len(items),
        overdue=sum(1 for i in items if i["overdue"]), headings=QUEUE_HEADINGS,
        page=number, pages=pages, first=(number - 1) * PER_PAGE + 1,
        page_links=[(n, urlencode({**ordered, "halaman": n})) for n in range(1, pages + 1)],
        sort_links=sort_links, choices=_filter_choices(unit),
        mine=urlencode({"tenant": unit.tenant, "assignee": principal.username}),
        updated=labels.local_time(web.now(), unit.calendar.timezone),
    ), None


def _session_ended(request: Request, _exc: NotLoggedIn) -> Response:
    # The refresh script, not a person, asked: it stops and the page says why.
    return Response("Sesi berakhir", status_code=401)


class QueuePages(Controller):
    path = "/staf/antrean"
    guards = [staff_session]

    @get("/")
    async def queue_page(self, request: Request, who: tuple[Principal, str],
                         web: WebFrontend) -> Response:
        context, refused = await queue_context(web, request, *who)
        if refused is not None:
            return refusal(request, refused, who[0])
        if context is None:
            return page(request, "error.html", status=404, staff=who[0],
                        heading="Unit tidak dikenal", message="Unit yang diminta tidak ada.",
                        back="/staf/antrean")
        failing = await mailbox_page.trouble(web, who[1], who[0], context["unit"])
        return page(request, "queue.html", staff=who[0], failing_mailboxes=failing, **context)

    @get("/tabel", exception_handlers={NotLoggedIn: _session_ended})
    async def queue_table(self, request: Request, who: tuple[Principal, str],
                          web: WebFrontend) -> Response:
        """The table alone, for the page's 15-second refresh."""
        try:
            context, refused = await queue_context(web, request, *who)
        except ApiUnavailable:
            return Response("Layanan tidak tersedia", status_code=503)
        if context is None:
            return Response(refused.detail if refused else "Unit tidak dikenal",
                            status_code=refused.status if refused else 404)
        return Response(fragment("_queue_table.html", **context),
                        media_type="text/html", headers={"Cache-Control": "no-store"})


CONTROLLERS = [QueuePages]
