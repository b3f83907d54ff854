""""Apakah jawaban ini membantu? Ya / Tidak" on the public FAQ page, as a plain form.

The vote goes to the FAQ API (`POST /api/v1/faq/{id}/helpful`), which counts it per entry and
limits votes per client address (the portal passes the visitor's address on, platform/
ratelimit.py); staff read the counts on /staf/faq. This browser remembers which entries it
answered (a cookie of entry ids, no personal data), so the page thanks instead of asking again.
"""

from __future__ import annotations

import re

from litestar import Request, Response
from litestar.datastructures import Cookie

from .answers import refusal
from .application import WebFrontend
from .render import page
from .session import flash_redirect

VOTED = "faq_suara"
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEPT = 50  # entries remembered per browser


def voted(request: Request) -> set[str]:
    return {v for v in request.cookies.get(VOTED, "").split(".") if _ID.fullmatch(v)}


async def vote(request: Request, web: WebFrontend, tenant: str, entry_id: str) -> Response:
    form = await request.form()
    answer_of = {"ya": True, "tidak": False}.get(form.get("membantu", ""))
    if web.unit(tenant) is None or answer_of is None or not _ID.fullmatch(entry_id):
        return page(request, "error.html", status=400, heading="Tanggapan tidak dikenal",
                    message="Pilih Ya atau Tidak pada jawaban FAQ.", back=f"/faq/{tenant}")
    answer = await web.call("POST", f"/api/v1/faq/{entry_id}/helpful",
                            json={"helpful": answer_of})
    if not answer.ok:
        return refusal(request, answer, back=f"/faq/{tenant}")
    response = flash_redirect(request, f"/faq/{tenant}#faq-{entry_id}",
                              "Terima kasih, tanggapan Anda tercatat.")
    kept = [entry_id, *sorted(voted(request) - {entry_id})][:KEPT]
    response.set_cookie(Cookie(key=VOTED, value=".".join(kept), max_age=365 * 86400, path="/faq",
                               httponly=True, samesite="lax",
                               secure=request.url.scheme == "https"))
    return response
