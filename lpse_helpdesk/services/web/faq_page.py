"""FAQ review, `/staf/faq`: the unit's drafts from closed tickets, with each place the scrubber
took something out marked, and the published entries; edit, publish, reject, merge and retract
as plain forms (post/redirect/get, no JavaScript). Reads and decisions are the FAQ API's
(`/api/v1/faq/drafts`, `/api/v1/faq/drafts/{id}/{action}`, `/api/v1/faq/{id}/{action}`) with
the reviewer's own token, so its role and unit checks are the only ones.

A draft keeps no removed text (that was the personal data), only its placeholders and how many
of each kind: the page marks the placeholders, which is where something was removed."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from markupsafe import Markup, escape

from ...platform.auth import Principal
from ...platform.paging import DEFAULT_LIMIT, MAX_LIMIT
from ..faq_publisher.scrub import KINDS
from .answers import refusal, unknown_unit
from .application import WebFrontend
from .pager import cursor_of, pager
from .render import page
from .session import flash_redirect, staff_session
from .staff import unit_for, units_for

PLACEHOLDER = re.compile("|".join(sorted({re.escape(p) for _, p in KINDS.values()},
                                         key=len, reverse=True)))
# The page's action -> (the API's path after the entry id, what the flash says was done).
ACTIONS = {"publish": ("/api/v1/faq/drafts/{}/publish", "diterbitkan"),
           "reject": ("/api/v1/faq/drafts/{}/reject", "ditolak"),
           "edit": ("/api/v1/faq/{}/edit", "diubah"),
           "merge": ("/api/v1/faq/{}/merge", "digabungkan"),
           "retract": ("/api/v1/faq/{}/retract", "ditarik dari FAQ publik")}
KIND_TITLES = {"URL bertoken": "tautan bertoken"}
MAX_SEARCH = 200  # characters of the merge target search


def marked(text: str) -> Markup:
    """The text, escaped, with each scrubber placeholder in a `<mark>`."""
    out, at = [], 0
    for found in PLACEHOLDER.finditer(text):
        out += [escape(text[at:found.start()]),
                Markup('<mark class="dihapus" title="dihapus oleh penyaring data pribadi">'
                       '{}</mark>').format(found.group())]
        at = found.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)


def _shown(entry: dict) -> dict:
    removed = ", ".join(f"{KIND_TITLES.get(k, k)} ×{n}" for k, n in entry.get("removed", {}).items())
    return {**entry, "question_marked": marked(entry["question"]),
            "answer_marked": marked(entry["answer"]), "removed_text": removed}


def in_page_words(detail: str) -> str:
    """The API's refusal as the page's reviewer acts on it: a checkbox, not a JSON field."""
    return detail.replace('terbitkan dengan {"confirm_digits": true}',
                          "centang “angka panjang boleh tampil” lalu terbitkan lagi")


def body_of(action: str, form) -> dict:
    """The API's `Review` body from the form's fields."""
    if action == "edit":
        return {"question": (form.get("question") or "").strip(),
                "answer": (form.get("answer") or "").strip()}
    if action == "merge":
        return {"into": form.get("into") or None}
    if action == "publish":
        return {"confirm_digits": form.get("confirm_digits") == "1"}
    return {"reason": (form.get("reason") or "").strip()}


async def show(web: WebFrontend, request: Request, who, unit, status: int = 200,
               error: str = "") -> Response:
    principal, token = who
    limit = _limit(request.query_params.get("limit"))
    drafts = await web.call("GET", "/api/v1/faq/drafts", staff_token=token, params={
        "tenant": unit.tenant, "after": cursor_of(request), "limit": limit})
    if not drafts.ok:
        return refusal(request, drafts, principal, back="/staf/antrean")
    published = await web.call("GET", "/api/v1/faq", params={
        "tenant": unit.tenant, "after": cursor_of(request, "terbit"), "limit": limit})
    # Where a draft may be merged: any published entry, not only this page's. The 200 most
    # asked, or with `gabung` (the page's search box) the 200 best matches of those words.
    wanted = (request.query_params.get("gabung") or "").strip()[:MAX_SEARCH]
    targets = await web.call("GET", "/api/v1/faq", params={
        "tenant": unit.tenant, "q": wanted, "limit": MAX_LIMIT})
    return page(request, "faq_review.html", status=status, staff=principal, unit=unit,
                units=units_for(web, principal), error=error,
                drafts_pager=pager(request, drafts.headers.get("X-Next-Cursor")),
                published_pager=pager(request, published.headers.get("X-Next-Cursor"), "terbit"),
                drafts=[_shown(d) for d in drafts.body],
                drafts_total=_total(drafts), published_total=_total(published),
                published=[_shown(e) for e in published.body] if published.ok else [],
                targets=targets.body if targets.ok else [], targets_total=_total(targets),
                wanted=wanted)


def _limit(text: str | None) -> int:
    """Entries a page: 50, or the address's `limit` (1 to 200)."""
    try:
        limit = int(text or DEFAULT_LIMIT)
    except ValueError:
        return DEFAULT_LIMIT
    return limit if 1 <= limit <= MAX_LIMIT else DEFAULT_LIMIT


def _total(answer) -> int:
    """The whole list's count the API sends (`X-Total-Count`), not the page's."""
    if not answer.ok:
        return 0
    try:
        return int(answer.headers.get("X-Total-Count", len(answer.body)))
    except ValueError:
        return len(answer.body)


class FaqReviewPages(Controller):
    path = "/staf/faq"
    guards = [staff_session]

    @get("/")
    async def review_page(self, request: Request, who: tuple[Principal, str],
                          web: WebFrontend) -> Response:
        unit = unit_for(web, request, who[0])
        if unit is None:
            return unknown_unit(request, who[0], back="/staf/antrean")
        return await show(web, request, who, unit)

    @post("/{entry_id:uuid}/{action:str}")
    async def decide(self, request: Request, entry_id: uuid.UUID, action: str,
                     who: tuple[Principal, str], web: WebFrontend) -> Response:
        form = await request.form()
        unit = web.unit(form.get("tenant") or "")
        if action not in ACTIONS or unit is None:
            return page(request, "error.html", status=404, staff=who[0],
                        heading="Tidak ditemukan", message="Tindakan atau unit tidak dikenal.",
                        back="/staf/faq")
        path, said = ACTIONS[action]
        back = f"/staf/faq?tenant={quote(unit.tenant, safe='')}"
        answer = await web.call("POST", path.format(entry_id), staff_token=who[1],
                                json=body_of(action, form))
        if answer.status in (401, 403, 404):
            return refusal(request, answer, who[0], back=back)
        if not answer.ok:  # the review page again, with the API's reason
            return await show(web, request, who, unit, status=answer.status,
                              error=f"Belum {said}: {in_page_words(answer.detail)}")
        return flash_redirect(request, "/staf/faq", f"Entri FAQ {said}.",
                              {"tenant": unit.tenant})


CONTROLLERS = [FaqReviewPages]
