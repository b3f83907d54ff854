""""Tiket saya" over HTTP: a reporter asks for a link by e-mail, and the link lists their tickets.

`POST /api/v1/reporters/link` answers the same (202, the same words) whether or not the
address has tickets, and looks nothing up before answering: the lookup and the mail follow in
a task of their own (`reporter_links.mail_link`), so neither the answer nor its time says
whether an address is known. It is limited per client address (the `tautan pelapor` door of
`platform/ratelimit.py`) and per e-mail address (`PER_ADDRESS` an hour, here), so nobody can
flood an inbox with links.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import HeaderParameter

from ... import refusals
from ...platform import paging
from ...platform.apidoc import LINK
from ...platform.http import errors
from ...platform.windows import SlidingWindow
from ...schemas.envelope import Tenant
from ...schemas.events import EMAIL
from . import reporter_links
from .application import DeskService

log = logging.getLogger("lpse_helpdesk.reporter_links")
PER_ADDRESS = 5  # links an hour to one address of one unit
SENT = "Jika alamat terdaftar, tautan telah dikirim ke alamat email tersebut."


class LinkRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    tenant: Tenant
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=EMAIL)]


class LinkAnswer(msgspec.Struct, frozen=True):
    detail: str
    minutes: int  # how long a mailed link works


class MyTicket(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    subject: str
    status: str
    received_at: str
    updated_at: str
    access_token: str  # the ticket's reporter token, for `GET /api/v1/tickets/{number}`


class MyTickets(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    email: str
    tickets: list[MyTicket]
    next: str | None = None  # the next page's cursor (`after`), none on the last page


LinkHeader = Annotated[str, HeaderParameter(name="X-Reporter-Link", max_length=600,
                                            required=False)]


class ReporterLinks:
    """What outlives a request: the per-address window and the mails on their way."""

    def __init__(self) -> None:
        self.per_address = SlidingWindow(PER_ADDRESS, 3600.0)
        self.sending: set[asyncio.Task] = set()

    def send_later(self, service: DeskService, tenant: str, email: str) -> None:
        task = asyncio.create_task(reporter_links.mail_link(service, tenant, email))
        self.sending.add(task)  # held until done: a task nobody holds may be collected
        task.add_done_callback(self.sending.discard)


class ReporterLinkController(Controller):
    path = "/api/v1/reporters"
    tags = ["pelapor"]

    @post("/link", status_code=202, responses=errors(400, 404, 429),
          summary="Minta tautan \"Tiket saya\" / ask for a link to one's tickets",
          description="Tautan berlaku 30 menit dikirim ke alamat itu bila alamat punya tiket di "
          "unit; jawabannya sama untuk alamat yang dikenal atau tidak / a 30-minute link is "
          "mailed if the address has tickets in the unit; the same answer either way.")
    async def ask(self, data: LinkRequest, service: DeskService,
                  links: ReporterLinks) -> LinkAnswer:
        if data.tenant not in service.standards:
            raise refusals.NotFound(f"Unit `{data.tenant}` tidak dikenal", field="tenant")
        if not links.per_address.hit(data.tenant, reporter_links.address_key(data.email)):
            minutes = max(1, links.per_address.retry_after() // 60)
            raise refusals.TooMany(
                f"Terlalu banyak permintaan tautan untuk alamat email ini; coba lagi dalam "
                f"{minutes} menit.", field="email", retry_after=minutes * 60)
        links.send_later(service, data.tenant, data.email)
        return LinkAnswer(detail=SENT, minutes=reporter_links.LINK_MINUTES)

    @get("/tickets", responses=errors(400, 401), security=[{LINK: []}],
         summary="Tiket-tiket pemegang tautan / the link holder's tickets",
         description="Dengan tautan yang dikirim (`X-Reporter-Link`): tiket alamat itu di "
         "unit, yang terbaru dulu, dengan token akses tiap tiket; per halaman: `limit` (bawaan "
         "50, maksimal 200) dan `after` (dari `next` jawaban sebelumnya) / with the mailed "
         "link: the address's tickets in the unit, newest first, with each one's token, paged "
         "by `limit` and the cursor `after` (the previous answer's `next`).")
    async def tickets(self, service: DeskService, link: LinkHeader = "",
                      after: paging.After = None,
                      limit: paging.Limit = paging.DEFAULT_LIMIT) -> MyTickets:
        who = reporter_links.holder(service.signer, link)
        if who is None:
            raise refusals.NotAuthenticated(
                "Tautan tidak sah atau sudah kedaluwarsa; minta tautan baru.", field="link")
        found = await asyncio.to_thread(reporter_links.tickets_of, service.store,
                                        service.signer, who.tenant, who.email, after, limit)
        return MyTickets(tenant=who.tenant, email=who.email, next=found.next,
                         tickets=[MyTicket(**t._asdict()) for t in found.items])


CONTROLLERS = [ReporterLinkController]
