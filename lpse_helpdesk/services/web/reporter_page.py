""""Tiket saya" in the portal: ask for a link by e-mail, open it, see and open every ticket.

The mailed link (`/portal/tiket-saya/masuk?tautan=...`) is swapped for a cookie on first use,
as a ticket's mailed token is (`portal.exchange`), and the browser sent on to an address
without it. The cookie holds the link itself (signed by the desk, ending with it: 30 minutes),
`HttpOnly`, path `/portal`. Opening a ticket from the list sets that ticket's own cookie
(`session.ticket_cookie`) with the token the desk gives the link's holder, so a lost token is
recovered the same way, and the ticket's page works as it does after a mailed link.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from .answers import refusal
from .application import WebFrontend
from .pager import cursor_of, pager
from .render import page
from .session import flash_redirect, ticket_cookie

LINK_COOKIE = "lpse_tiket_saya"
LINK_SECONDS = 30 * 60  # as long as the desk's link lives (reporter_links.LINK_MINUTES)
EXPIRED = ("Tautan tidak sah atau sudah kedaluwarsa (berlaku 30 menit). Minta tautan baru di "
           "bawah.")
SENT = "Jika alamat terdaftar, tautan telah dikirim ke alamat email tersebut."


def ask_page(request: Request, web: WebFrontend, status: int = 200, error: str = "",
             values: dict | None = None) -> Response:
    return page(request, "my_tickets_ask.html", status=status, error=error,
                units=web.units(), values=values or {})


async def listing(web: WebFrontend, link: str, after: str = ""):
    """A page of the link holder's tickets (`after`: the API's cursor, "" for the first)."""
    return await web.call("GET", "/api/v1/reporters/tickets", headers={"X-Reporter-Link": link},
                          params={"after": after})


class ReporterPages(Controller):
    path = "/portal/tiket-saya"

    @get("/")
    async def mine(self, request: Request, web: WebFrontend, unit: str = "") -> Response:
        link = request.cookies.get(LINK_COOKIE, "")
        if not link:
            return ask_page(request, web, values={"tenant": unit[:32]})
        answer = await listing(web, link, cursor_of(request))
        if not answer.ok:
            response = ask_page(request, web, status=answer.status, error=EXPIRED)
            response.delete_cookie(LINK_COOKIE, path="/portal")
            return response
        mine = answer.body
        return page(request, "my_tickets.html", mine=mine, unit=web.unit(mine["tenant"]),
                    pager=pager(request, mine.get("next")))

    @post("/")
    async def ask(self, request: Request, web: WebFrontend) -> Response:
        form = await request.form()
        values = {"tenant": form.get("tenant", "").strip(), "email": form.get("email", "").strip()}
        if not values["email"]:
            return ask_page(request, web, 400, "Isi alamat email yang Anda pakai saat melapor.",
                            values)
        answer = await web.call("POST", "/api/v1/reporters/link", json=values)
        if answer.status != 202:
            return ask_page(request, web, answer.status, answer.detail, values)
        return flash_redirect(request, "/portal/tiket-saya", SENT, {"unit": values["tenant"]})

    @get("/masuk")
    async def enter(self, request: Request, web: WebFrontend, tautan: str = "") -> Response:
        answer = await listing(web, tautan.strip()) if tautan.strip() else None
        if answer is None or not answer.ok:
            return ask_page(request, web, answer.status if answer else 401, EXPIRED)
        response = Redirect("/portal/tiket-saya", status_code=303)
        response.set_cookie(Cookie(key=LINK_COOKIE, value=tautan.strip(), max_age=LINK_SECONDS,
                                   path="/portal", httponly=True, secure=web.secure_cookies,
                                   samesite="lax"))
        return response

    @get("/buka/{number:str}")
    async def open_ticket(self, request: Request, web: WebFrontend, number: str) -> Response:
        link = request.cookies.get(LINK_COOKIE, "")
        # The page the ticket was listed on (its cursor), so any page's ticket opens.
        answer = await listing(web, link, cursor_of(request)) if link else None
        if answer is None or not answer.ok:
            return ask_page(request, web, answer.status if answer else 401, EXPIRED)
        found = next((t for t in answer.body["tickets"] if t["number"] == number), None)
        if found is None:
            return refusal(request, type(answer)(404, {"detail": "Tiket ini bukan milik alamat "
                                                       "email Anda."}, answer.headers),
                           back="/portal/tiket-saya")
        response = Redirect("/portal/status", status_code=303, query_params={"nomor": number})
        response.set_cookie(ticket_cookie(web.signer, number, found["access_token"],
                                          web.secure_cookies))
        return response

    @post("/keluar")
    async def leave(self, request: Request) -> Response:
        """For a shared computer: this browser stops holding the link."""
        response = flash_redirect(request, "/portal/tiket-saya", "Tautan dihapus dari peramban ini.")
        response.delete_cookie(LINK_COOKIE, path="/portal")
        return response


CONTROLLERS = [ReporterPages]
