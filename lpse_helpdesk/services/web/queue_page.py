"""The staff's live queue, `/staf/antrean`: the unit's open tickets with filters and sorting,
a page at a time ("Sebelumnya / Berikutnya", the API's cursor: `pager.py`), and the table
alone for the page's 15-second refresh. The API sorts and pages in SQL; the counts it sends
(`X-Total-Count`, `X-Overdue-Count`) are of the whole queue, not of the page."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get

from ...platform.auth import Principal
from ...platform.paging import MAX_LIMIT
from . import labels, mailbox_page
from .answers import refusal
from .application import ApiUnavailable, WebFrontend
from .pager import pager
from .render import fragment, page
from .session import NotLoggedIn, staff_session
from .staff import unit_for, units_for

QUEUE_HEADINGS = [("nomor", "Nomor"), ("subjek", "Judul"), ("pelapor", "Pelapor"),
                  ("diterima", "Diterima"), ("kanal", "Kanal"), ("kategori", "Kategori"),
                  ("prioritas", "Prioritas"), ("status", "Status"), ("tingkat", "Tingkat"),
                  ("petugas", "Petugas"), ("sisa", "Sisa waktu")]
# The page's column names -> the API's `sort` (`desk/open_queue.py`), which orders in SQL.
SORT_KEYS = {"sisa": "urgency", "nomor": "number", "subjek": "subject",
             "pelapor": "reporter_name", "diterima": "received_at", "kanal": "channel",
             "kategori": "category", "prioritas": "priority", "status": "status",
             "tingkat": "tier", "petugas": "assignee"}
FILTERS = ("tier", "status", "category", "kind", "channel", "assignee")
PER_PAGE = 50  # tickets a page, unless the address asks for `limit` (1 to 200)


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


def _limit(text: str | None) -> int:
    try:
        limit = int(text or PER_PAGE)
    except ValueError:
        return PER_PAGE
    return limit if 1 <= limit <= MAX_LIMIT else PER_PAGE


async def queue_context(web: WebFrontend, request: Request, principal, token: str):
    unit = unit_for(web, request, principal)
    if unit is None:
        return None, None
    q = request.query_params
    # `assignee`: a username; "Tiket saya" is the signed-in staff member's own.
    sort = q.get("sort", "sisa")
    sort = sort if sort in SORT_KEYS else "sisa"
    filters = {**{k: q.get(k, "").strip()[:64] for k in FILTERS},
               "sort": sort, "desc": q.get("urutan") == "turun"}
    limit = _limit(q.get("limit"))
    links = pager(request, None)  # for this page's cursor; the links come with the answer
    answer = await web.call("GET", "/api/v1/queues", staff_token=token, params={
        "tenant": unit.tenant, **{k: filters[k] for k in FILTERS if filters[k]},
        "sort": SORT_KEYS[sort], "order": "desc" if filters["desc"] else "asc",
        "limit": limit, **({"after": links.after} if links.after else {})})
    if not answer.ok:
        return None, answer
    base = {"tenant": unit.tenant, **{k: v for k, v in filters.items()
                                     if k not in ("sort", "desc") and v},
            **({"limit": limit} if limit != PER_PAGE else {})}
    sort_links = {key: urlencode({**base, "sort": key, **(
        {"urutan": "turun"} if key == filters["sort"] and not filters["desc"] else {})})
                  for key, _ in QUEUE_HEADINGS}
    ordered = {**base, "sort": filters["sort"], **({"urutan": "turun"} if filters["desc"] else {})}
    # The same page again (the refresh, "muat ulang"): its cursor and trail kept.
    here = {k: v for k, v in q.items() if k in ("after", "jejak")}
    return dict(
        unit=unit, units=units_for(web, principal), filters=filters,
        query=urlencode({**ordered, **here}), items=answer.body, limit=limit,
        total=int(answer.headers.get("X-Total-Count", len(answer.body))),
        overdue=int(answer.headers.get("X-Overdue-Count", 0)), headings=QUEUE_HEADINGS,
        pager=pager(request, answer.headers.get("X-Next-Cursor")), path="/staf/antrean",
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
