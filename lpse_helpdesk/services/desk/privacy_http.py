"""Desk's HTTP entrypoints for a reporter's personal data (UU PDP), for admins: what is held
about a person (`GET /api/v1/personal-data`) and its erasure (`POST .../erase`). An admin of
every unit (`*`) acts in any unit, a unit's admin in theirs. The admin page
(`/staf/data-pribadi`) and `lpse-helpdesk personal-data` do the same (`privacy.py`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from ...platform.auth import Principal, staff_login
from ...platform.http import errors, service_routes
from ...schemas.events import EMAIL, Actor
from . import privacy, skm_http, staff_privacy_http
from .accounts_http import admin_of, require_scope
from .application import DeskService

log = logging.getLogger("lpse_helpdesk.desk.privacy")
Tenant = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=EMAIL)]


class Person(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    tenant: Tenant
    email: Email


class ErasedTicket(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    recorded: bool  # False: erased before
    attachments_deleted: int


class Erasure(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    tickets: list[ErasedTicket]


def keys():
    """The process's key store (the codec's), or None where none is configured."""
    from ...schemas import sealing

    try:
        return sealing.keystore()
    except sealing.NoKeyStore:
        return None


def export(service: DeskService, tenant: str, email: str) -> dict[str, Any]:
    found = privacy.export(service.store, keys(), tenant, email, service.now())
    found["log_akses_staf"] = access_rows(service, [t["nomor"] for t in found["tiket"]])
    return found


def access_rows(service: DeskService, numbers: list[str]) -> list[dict] | None:
    """The staff access log's rows of these tickets, where the desk keeps one."""
    if not numbers:
        return []
    try:
        rows = service.store.query(
            f"SELECT at, username, role, number, action FROM {service.store.prefix}"
            f"_personal_access WHERE number IN ({', '.join('?' * len(numbers))}) ORDER BY at",
            numbers)
    except Exception:  # noqa: BLE001 - no access log in this store
        return None
    return [dict(zip(("waktu", "petugas", "peran", "nomor", "akses"), r)) for r in rows]


async def erase(service: DeskService, tenant: str, email: str, reason: str,
                actor: Actor) -> Erasure:
    """Erase the person's tickets in the unit, then delete their files from the object store."""
    ids = await asyncio.to_thread(privacy.person_tickets, service.store, keys(), tenant, email)
    return await erase_tickets(service, tenant, ids, reason, actor)


async def erase_tickets(service: DeskService, tenant: str, ids, reason: str,
                        actor: Actor) -> Erasure:
    done = await asyncio.to_thread(privacy.erase, service.store, service.tickets, keys(),
                                   tenant, ids, reason, actor)
    tickets = []
    for erased in done:
        deleted = await delete_files(service.attachments, service.store, erased.attachments)
        tickets.append(ErasedTicket(number=erased.number, recorded=erased.recorded,
                                    attachments_deleted=deleted))
    return Erasure(tenant=tenant, tickets=tickets)


async def delete_files(attachments, store, ids) -> int:
    """Delete erased tickets' files (a file already gone counts as deleted) and their rows of
    `_erased_files`. What NATS does not take now stays listed: the desk's timer tries again
    (`retention.py`), and so does the next erase."""
    if attachments is None:
        return 0
    done = []
    for attachment_id in ids:
        try:
            await attachments.delete(attachment_id)
            done.append(attachment_id)
        except Exception as exc:  # noqa: BLE001 - reported; the key is gone, so is its text
            log.warning("lampiran %s belum terhapus: %r", attachment_id, exc)
    await asyncio.to_thread(privacy.files_deleted, store, done)
    return len(done)


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
