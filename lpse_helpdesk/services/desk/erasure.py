"""Desk's application steps for a reporter's personal data (UU PDP): export what is held about
a person, erase their tickets (record, forget the keys: `privacy.py`) and delete their files from
the object store. Called by the admin API (`privacy_http.py`), the retention timer
(`retention.py`) and `lpse-helpdesk personal-data` (`cli_privacy.py`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from ...schemas.envelope import Actor
from . import privacy
from .application import DeskService

log = logging.getLogger("lpse_helpdesk.desk.privacy")


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
