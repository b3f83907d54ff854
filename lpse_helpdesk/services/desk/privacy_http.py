"""Desk's HTTP entrypoints for a reporter's personal data (UU PDP), for admins: what is held
about a person (`GET /api/v1/personal-data`) and its erasure (`POST .../erase`). An admin of
every unit (`*`) acts in any unit, a unit's admin in theirs. The admin page
(`/staf/data-pribadi`) and `lpse-helpdesk personal-data` do the same (`erasure.py`)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from ...platform.auth import Principal, staff_login
from ...platform.http import errors, service_routes
from ...schemas.events import EMAIL, Actor
from . import skm_http, staff_privacy_http
from .accounts_http import admin_of, require_scope
from .application import DeskService
from .erasure import Erasure, erase, export

Tenant = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=EMAIL)]


class Person(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    tenant: Tenant
    email: Email


class PersonalDataController(Controller):
    path = "/api/v1/personal-data"
    guards = [staff_login]
    tags = ["staf"]
    dependencies = {"admin": Provide(admin_of, sync_to_thread=False)}

    @get("/", summary="Ekspor data pribadi pelapor / export a reporter's personal data",
         responses=errors(400, 401, 403),
         description="Semua yang disimpan tentang pemilik alamat e-mail di unit itu: tiket, "
         "identitas, dokumen, uraian, percakapan, nama dan ukuran lampiran, survei, log akses "
         "staf; hanya admin / everything held about the address's owner in the unit; admins "
         "only.")
    async def export_person(self, tenant: Tenant, email: Email, admin: Principal,
                            service: DeskService, request: Request) -> dict[str, Any]:
        require_scope(admin, tenant, "mengekspor data")
        found = await asyncio.to_thread(export, service, tenant, email)
        for ticket in found["tiket"]:  # the personal-data access log (access_log.py)
            skm_http.noted(service, request, admin, tenant, ticket["nomor"], "ekspor")
        return found

    @post("/erase", status_code=200, responses=errors(400, 401, 403),
          summary="Hapus data pribadi pelapor / erase a reporter's personal data",
          description="Kunci tiket-tiketnya dihapus, setiap salinan teks dibersihkan dan "
          "lampirannya dihapus; tiket tetap ada dengan \"[data dihapus]\" / the tickets' keys "
          "are deleted, every plaintext copy scrubbed and the files deleted; the tickets "
          "stay, showing \"[data dihapus]\".")
    async def erase_person(self, data: Person, admin: Principal,
                           service: DeskService) -> Erasure:
        require_scope(admin, data.tenant, "menghapus data")
        return await erase(service, data.tenant, data.email, "request",
                           Actor(id=admin.username, role="admin"))


def routes(service: DeskService) -> list:
    return [service_routes(service, PersonalDataController),
            *staff_privacy_http.routes(service)]
