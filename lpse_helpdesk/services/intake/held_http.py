"""Intake's HTTP entrypoints for mail held for staff (`held.py`): the list, and the two ways a
clerk decides one, once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
from litestar import Controller, Request, Response, get, post

from ... import refusals
from ...platform import paging
from ...platform.auth import Principal, authorize, staff_login
from ...platform.http import errors, refused_as
from . import held
from .application import IntakeService

HELD_MAIL_ROLES = ("helpdesk", "koordinator", "kepala_unit", "admin")


class HeldOutcome(msgspec.Struct, frozen=True):
    id: str
    status: str  # accepted | new_ticket
    number: str  # the ticket the mail went to


# A held mail's text that is no valid ticket (`held.new_ticket`).
HELD_REFUSALS = {msgspec.ValidationError: refused_as(lambda exc: refusals.Invalid(
    f"Isi surat bukan tiket yang sah: {exc}", field="body"))}


async def decide(service: IntakeService, staff: Principal, held_id: str,
                 action: Callable[[IntakeService, str, str], str], status: str) -> HeldOutcome:
    mail = await asyncio.to_thread(held.get, service, held_id)
    authorize(staff, mail.tenant, HELD_MAIL_ROLES)
    number = await asyncio.to_thread(action, service, held_id, staff.username)
    return HeldOutcome(id=held_id, status=status, number=number)


class HeldMailController(Controller):
    path = "/api/v1/mail/held"
    guards = [staff_login]
    tags = ["staf"]
    exception_handlers = HELD_REFUSALS

    @get("/", responses=errors(400, 401, 403),
         summary="Surat tertahan untuk diperiksa petugas / mail held for staff",
         description="Surat yang menyebut nomor tiket tetapi tidak terbukti membalas surat "
         "helpdesk dari alamat pelapor; terbaru dulu; `include_decided=true` juga yang sudah "
         "diputuskan / mail naming a ticket without proof that it answers our mail from the "
         "reporter, newest first; `include_decided=true` adds the decided ones. "
         + paging.PAGED_DOC, response_headers=paging.RESPONSE_HEADERS)
    async def list_held(self, request: Request, staff: Principal, service: IntakeService,
                        tenant: str, include_decided: bool = False, after: paging.After = None,
                        limit: paging.Limit = paging.DEFAULT_LIMIT,
                        ) -> Response[list[held.HeldMail]]:
        authorize(staff, tenant, HELD_MAIL_ROLES)
        return paging.respond(request, await asyncio.to_thread(
            held.listing, service, tenant, not include_decided, after, limit))

    @post("/{held_id:str}/accept", status_code=201, responses=errors(401, 403, 404, 409),
          summary="Tambahkan surat tertahan ke tiketnya / add to its ticket",
          description="Isi dan lampiran surat menjadi balasan pelapor pada tiket yang disebutnya, "
          "dengan catatan pengirim dan petugas; sekali saja / the mail's text and attachments "
          "become the reporter's reply on the ticket it names, noting sender and clerk; once.")
    async def accept_held(self, held_id: str, staff: Principal,
                          service: IntakeService) -> HeldOutcome:
        return await decide(service, staff, held_id, held.accept, "accepted")

    @post("/{held_id:str}/new-ticket", status_code=201, responses=errors(401, 403, 404, 409),
          summary="Jadikan surat tertahan tiket baru / make it a new ticket",
          description="Surat menjadi tiket baru unitnya dari pengirimnya (persyaratan standar "
          "unit berlaku); sekali saja / the mail becomes a new ticket of its unit from its "
          "sender (the unit's requirements apply); once.")
    async def held_to_ticket(self, held_id: str, staff: Principal,
                             service: IntakeService) -> HeldOutcome:
        return await decide(service, staff, held_id, held.new_ticket, "new_ticket")


CONTROLLERS = [HeldMailController]
