"""Canned replies over HTTP: `/api/v1/units/{tenant}/canned-replies`, for the unit's staff
(any staff role of the unit reads, adds, edits and deletes them; `canned.py`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

from ...platform import paging
from ...platform.auth import Principal, authorize, staff_login
from ...platform.http import errors
from . import canned
from .application import DeskService
from .canned import CannedDraft, CannedReply

TicketParam = Annotated[str | None, QueryParameter(
    name="ticket", required=False, max_length=64,
    description="Nomor tiket unit ini: urutkan menurut kata yang sama dengan tiket itu "
    "(`score`) / a ticket number of the unit: ranked by words shared with it")]


class CannedRepliesController(Controller):
    path = "/api/v1/units/{tenant:str}/canned-replies"
    guards = [staff_login]
    tags = ["staf"]

    @get("/", responses=errors(400, 401, 403, 404),
         summary="Jawaban siap pakai unit / the unit's canned replies",
         description="Urut judul, atau dengan `ticket` menurut relevansi (jumlah kata yang sama "
         "dengan judul, uraian, pelapor dan kolom tambahan tiket) / by title, or with `ticket` "
         "by words shared with it; `X-Total-Count`: all of them. " + paging.PAGED_DOC,
         response_headers=[*paging.RESPONSE_HEADERS, ResponseHeader(
             name="X-Total-Count", documentation_only=True, value="",
             description="Jumlah semua jawaban unit / the count of the unit's replies")])
    async def list_replies(self, request: Request, staff: Principal, service: DeskService,
                           tenant: str, ticket: TicketParam = None, after: paging.After = None,
                           limit: paging.Limit = paging.DEFAULT_LIMIT,
                           ) -> Response[list[CannedReply]]:
        authorize(staff, tenant)

        def read() -> tuple[paging.Page[CannedReply], int]:
            # At most `canned.MAX_PER_UNIT` of them: read whole, then paged in their order.
            replies = canned.listing(service.store, tenant)
            if ticket:
                ranked = canned.rank(canned.ticket_text(service.store, tenant, ticket), replies)
                return paging.page_of(ranked, canned.rank_key, after, limit), len(replies)
            return paging.page_of(replies, lambda r: (r.title, r.id), after, limit), len(replies)
        found, total = await asyncio.to_thread(read)
        answer = paging.respond(request, found)
        answer.headers["X-Total-Count"] = str(total)  # the unit's replies, not the page's
        return answer

    @post("/", status_code=201, responses=errors(400, 401, 403, 429),
          summary="Tambah jawaban siap pakai / add a canned reply",
          description="Judul dan isi balasan untuk staf unit; paling banyak 500 per unit / a "
          "title and body for the unit's staff; at most 500 per unit.")
    async def add(self, staff: Principal, service: DeskService, tenant: str,
                  data: CannedDraft) -> CannedReply:
        authorize(staff, tenant)
        return await asyncio.to_thread(canned.add, service.store, tenant, data, staff.username,
                                       service.now())

    @put("/{reply_id:str}", responses=errors(400, 401, 403, 404),
         summary="Ubah jawaban siap pakai / edit a canned reply",
         description="Judul dan isi diganti; `updated_by` menjadi staf ini / title and body "
         "replaced, `updated_by` becomes this staff member.")
    async def edit(self, staff: Principal, service: DeskService, tenant: str, reply_id: str,
                   data: CannedDraft) -> CannedReply:
        authorize(staff, tenant)
        return await asyncio.to_thread(canned.edit, service.store, tenant, reply_id, data,
                                       staff.username, service.now())

    @delete("/{reply_id:str}", status_code=204, responses=errors(401, 403, 404),
            summary="Hapus jawaban siap pakai / delete a canned reply",
            description="Dihapus untuk semua staf unit / deleted for all the unit's staff.")
    async def remove(self, staff: Principal, service: DeskService, tenant: str,
                     reply_id: str) -> None:
        authorize(staff, tenant)
        await asyncio.to_thread(canned.delete, service.store, tenant, reply_id)
