"""The staff search, `/staf/cari`: every ticket of the unit, open and closed, found by number,
text or reporter and by filters, a page at a time (the API's `GET /api/v1/tickets`). A plain
GET form: it works without JavaScript, and a result page's address can be shared."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get

from ...platform.auth import Principal
from . import labels
from .answers import refusal
from .application import WebFrontend
from .render import page
from .session import staff_session
from .staff import unit_for, units_for

PER_PAGE = 25
# The form's fields and the API's names for them.
FIELDS = {"q": "q", "status": "status", "category": "category", "tier": "tier",
          "channel": "channel", "assignee": "assignee", "dari": "from", "sampai": "to"}


def _choices(unit) -> list[tuple[str, str, list[tuple[str, str]]]]:
    options = [
        ("status", "Status", labels.STATUS, list(labels.STATUS)),
        ("category", "Kategori", labels.CATEGORY, [c.id for c in unit.categories]),
        ("tier", "Tingkat", labels.TIER, [t.tier for t in unit.escalation]),
        ("channel", "Kanal", labels.CHANNEL, list(labels.CHANNEL)),
    ]
    return [(field, title, [(v, labels.label(table, v)) for v in values])
            for field, title, table, values in options]


def _page_number(text: str | None) -> int:
    try:
        return max(1, min(int(text or 1), 100_000))
    except ValueError:
        return 1


class SearchPages(Controller):
    path = "/staf/cari"
    guards = [staff_session]

    @get("/")
    async def search_page(self, request: Request, who: tuple[Principal, str],
                          web: WebFrontend) -> Response:
        principal, token = who
        unit = unit_for(web, request, principal)
        if unit is None:
            return page(request, "error.html", status=404, staff=principal,
                        heading="Unit tidak dikenal", message="Unit yang diminta tidak ada.",
                        back="/staf/cari")
        q = request.query_params
        form = {name: (q.get(name) or "").strip()[:200] for name in FIELDS}
        number = _page_number(q.get("halaman"))
        answer = await web.call("GET", "/api/v1/tickets", staff_token=token, params={
            "tenant": unit.tenant, "page": str(number), "per_page": str(PER_PAGE),
            **{FIELDS[name]: value for name, value in form.items()}})
        context = dict(unit=unit, units=units_for(web, principal), form=form,
                       choices=_choices(unit), found=None, pages=[])
        if answer.status == 400:  # a bad date: the form again, with why
            return page(request, "search.html", status=400, staff=principal,
                        error=answer.detail, **context)
        if not answer.ok:
            return refusal(request, answer, principal, back="/staf/cari")
        found = answer.body
        kept = {"tenant": unit.tenant, **{k: v for k, v in form.items() if v}}
        pages = [(n, urlencode({**kept, "halaman": n}))
                 for n in range(max(1, found["page"] - 2),
                                min(found["pages"], found["page"] + 2) + 1)]
        link = lambda n: urlencode({**kept, "halaman": n})  # noqa: E731
        return page(request, "search.html", staff=principal, **{
            **context, "found": found, "pages": pages,
            "previous": link(found["page"] - 1) if found["page"] > 1 else "",
            "following": link(found["page"] + 1) if found["page"] < found["pages"] else ""})


CONTROLLERS = [SearchPages]
