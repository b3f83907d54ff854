"""The public portal (LPSE Support-like, Bahasa Indonesia): the units, a new ticket with the
unit's required data and attachments, the ticket's status by number and access token, the
reporter's reply, confirmation and satisfaction survey, and the unit's FAQ (`/faq/<unit>`, the
address the FAQ feed and older links use).

The access token is a password to the ticket: it reaches the portal once (the mailed link's
`?token=`, the lookup form, the new ticket) and is swapped for a cookie of that ticket
(`session.ticket_cookie`) with a redirect to an address without it. Every later page, form
and download reads it from the cookie, so no page address or link carries it.

Plain forms and redirects (post/redirect/get): every step works without JavaScript.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from ...schemas.survey import SKM_ELEMENTS, profile_from_form
from . import faq_votes, portal_created, portal_form
from .answers import passthrough, refusal
from .application import WebFrontend
from .pager import cursor_of, pager
from .render import page
from .session import flash_redirect, forget_ticket, ticket_cookie, ticket_token

WRONG = "Nomor tiket atau token akses salah."
NO_COOKIE = ("Peramban ini belum menyimpan akses ke tiket ini. Buka lagi tautan dari email "
             "Anda, atau masukkan nomor tiket dan token akses.")


def typed(number: str, token: str = "") -> tuple[str, str]:
    """A number and token as people copy them: any case, spaces and line breaks anywhere
    (numbers are upper case; neither holds a space)."""
    return "".join(number.split()).upper()[:40], "".join(token.split())[:500]


def _explain(answer) -> str:
    """A refusal as the reporter reads it: an unscored SKM element by its title."""
    key = (answer.field or "").removeprefix("scores.")
    titles = dict(SKM_ELEMENTS)
    if answer.status == 400 and key in titles:
        return f"Unsur “{titles[key]}” belum dinilai: pilih 1 sampai 4."
    return answer.detail


def _feedback_since_close(timeline: list[dict]) -> dict | None:
    """The reporter's confirmation of the latest close, if they gave one (the form is then
    replaced by what they said; a reopen and a new close ask again)."""
    answered = None
    for entry in timeline:
        if entry["type"] == "ticket.closed":
            answered = None
        elif entry["type"] == "ticket.reporter_feedback":
            answered = entry["event"]
    return answered


async def status_page(web: WebFrontend, request: Request, number: str, token: str,
                      status: int = 200, error: str = "") -> Response:
    answer = await web.call("GET", f"/api/v1/tickets/{number}", params={"token": token})
    if not answer.ok:
        return page(request, "status_lookup.html", status=answer.status, number=number,
                    error=answer.detail if answer.status != 404 else WRONG)
    ticket = answer.body
    return page(request, "status.html", status=status, t=ticket,
                unit=web.unit(ticket["tenant"]), skm_elements=SKM_ELEMENTS, error=error,
                answered=_feedback_since_close(ticket["timeline"]))


async def exchange(web: WebFrontend, request: Request, number: str, token: str) -> Response:
    """A token handed over (mailed link, lookup form): checked by the API, kept in the
    ticket's cookie, and the browser sent on to an address without it (a mailed
    `#survei` survives the redirect)."""
    answer = await web.call("GET", f"/api/v1/tickets/{number}", params={"token": token})
    if not answer.ok:
        return page(request, "status_lookup.html", status=answer.status, number=number,
                    error=answer.detail if answer.status != 404 else WRONG)
    number = answer.body["number"]
    response = Redirect("/portal/status", status_code=303, query_params={"nomor": number})
    response.set_cookie(ticket_cookie(web.signer, number, token, web.secure_cookies))
    return response


async def follow_up(web: WebFrontend, request: Request, number: str, path: str, body_of,
                    done: str) -> Response:
    form = await request.form()
    token = ticket_token(request, web.signer, number)
    if not token:
        return page(request, "status_lookup.html", status=403, number=number,
                    error=NO_COOKIE)
    answer = await web.call("POST", f"/api/v1/tickets/{number}/{path}",
                            params={"token": token}, json=body_of(form))
    if not answer.ok:
        if answer.status == 404:
            return refusal(request, answer, back="/portal/status")
        return await status_page(web, request, number, token, status=answer.status,
                                 error=_explain(answer))
    await web.until_shown(number, answer.body["event_id"], token=token)
    return flash_redirect(request, "/portal/status", done, {"nomor": number})


class PortalPages(Controller):
    @get("/")
    async def home(self, request: Request, web: WebFrontend) -> Response:
        return page(request, "home.html", units=web.units())

    @get("/portal/{tenant:str}/tiket-baru")
    async def new_ticket_form(self, request: Request, web: WebFrontend,
                              tenant: str) -> Response:
        unit = web.unit(tenant)
        if unit is None:
            return page(request, "error.html", status=404, heading="Unit tidak dikenal",
                        message=f"Tidak ada unit LPSE `{tenant}` di helpdesk ini.")
        return portal_form.new_ticket_page(request, unit, {})

    @post("/portal/{tenant:str}/tiket-baru", request_max_body_size=60_000_000)
    async def submit(self, request: Request, web: WebFrontend, tenant: str) -> Response:
        unit = web.unit(tenant)
        if unit is None:
            return page(request, "error.html", status=404, heading="Unit tidak dikenal",
                        message=f"Tidak ada unit LPSE `{tenant}` di helpdesk ini.")
        return await portal_form.submit(request, web, unit)

    @get("/portal/tiket-diterima")
    async def created(self, request: Request, web: WebFrontend, nomor: str) -> Response:
        return await portal_created.created_page(request, web, typed(nomor)[0])

    @get("/portal/status")
    async def status(self, request: Request, web: WebFrontend, nomor: str = "",
                     token: str = "") -> Response:
        number, token = typed(nomor, token)
        if number and token:
            return await exchange(web, request, number, token)
        held = ticket_token(request, web.signer, number) if number else ""
        if not held:
            return page(request, "status_lookup.html", number=number,
                        error=NO_COOKIE if number else "")
        return await status_page(web, request, number, held)

    @post("/portal/status")
    async def look_up(self, request: Request, web: WebFrontend) -> Response:
        """The lookup form posts, so a typed token is never in an address either."""
        form = await request.form()
        number, token = typed(form.get("nomor", ""), form.get("token", ""))
        if not number or not token:
            return page(request, "status_lookup.html", status=400, number=number,
                        error="Isi nomor tiket dan token akses.")
        return await exchange(web, request, number, token)

    @post("/portal/tiket/{number:str}/lupakan")
    async def forget(self, request: Request, number: str) -> Response:
        """For a shared computer (warnet, office): this browser stops holding the ticket."""
        done = flash_redirect(request, "/portal/status",
                              f"Akses ke tiket {number[:40]} dihapus dari peramban ini.")
        return forget_ticket(done, number)

    @post("/portal/tiket/{number:str}/konfirmasi")
    async def confirm(self, request: Request, web: WebFrontend, number: str) -> Response:
        return await follow_up(
            web, request, number, "feedback",
            lambda f: {"solved": f.get("solved") == "1", "message": f.get("message", "").strip()},
            "Terima kasih atas konfirmasi Anda.")

    @post("/portal/tiket/{number:str}/survei")
    async def survey(self, request: Request, web: WebFrontend, number: str) -> Response:
        def body(form) -> dict:
            scores = {}
            for key, _title in SKM_ELEMENTS:
                raw = form.get(key, "")
                scores[key] = int(raw) if raw.isdigit() else 0  # 0: refused below, naming it
            return {"scores": scores, "comment": form.get("comment", "").strip(),
                    "profile": profile_from_form(form)}
        return await follow_up(web, request, number, "survey", body,
                               "Terima kasih, survei kepuasan Anda tersimpan.")

    @get("/portal/tiket/{number:str}/lampiran/{attachment_id:str}")
    async def attachment(self, request: Request, web: WebFrontend, number: str,
                         attachment_id: str) -> Response:
        token = ticket_token(request, web.signer, number)
        if not token:
            return page(request, "status_lookup.html", status=403, number=number,
                        error=NO_COOKIE)
        return await passthrough(web, request, f"/api/v1/tickets/{number}/attachments/{attachment_id}",
                                 params={"token": token})

    @get("/faq/{tenant:str}")
    async def faq(self, request: Request, web: WebFrontend, tenant: str,
                  q: str = "") -> Response:
        unit = web.unit(tenant)
        answer = await web.call("GET", "/api/v1/faq", params={
            "tenant": tenant, "q": q, "after": cursor_of(request)})
        if unit is None or not answer.ok:
            return refusal(request, answer)
        return page(request, "faq.html", unit=unit, entries=answer.body, query=q,
                    pager=pager(request, answer.headers.get("X-Next-Cursor")),
                    voted=faq_votes.voted(request))

    @post("/faq/{tenant:str}/{entry_id:str}/membantu")
    async def faq_vote(self, request: Request, web: WebFrontend, tenant: str,
                       entry_id: str) -> Response:
        return await faq_votes.vote(request, web, tenant, entry_id)


CONTROLLERS = [PortalPages]
