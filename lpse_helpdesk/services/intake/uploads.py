"""Files uploaded before the ticket that names them: bounded per client, and gone if unused.

An anonymous upload costs disk until a ticket uses it. So each client address may upload
`upload_bytes_per_client_per_hour` bytes an hour (a sliding window, platform/windows.py, the
upload's size as its cost), an upload no ticket has named after `uploads_expire_hours` is
deleted from the object store and forgotten, and the object store itself is capped
(`attachments_max_bytes`, bus.py) so that files can never take the room the ticket stream
needs: a full store answers 507, and tickets still flow.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from ... import refusals
from ...platform.attachments import AttachmentStore
from ...platform.observability import log_event
from ...platform.store import Write
from ...platform.windows import SlidingWindow

log = logging.getLogger("lpse_helpdesk.uploads")
EXPIRY_SWEEP_S = 600.0


class QuotaExceeded(refusals.TooMany):
    """This client has uploaded its hour's share; the message says how much that is."""


class UploadQuota:
    def __init__(self, bytes_per_hour: int):
        self.window = SlidingWindow(bytes_per_hour, 3600.0)

    def take(self, client: str, size: int) -> None:
        if not self.window.hit(client, cost=max(size, 1)):
            mb = self.window.limit // 1_000_000
            raise QuotaExceeded(f"kuota unggah alamat Anda ({mb} MB per jam) habis; coba lagi "
                                "nanti / upload quota of your address used up")


def unused_before(service, cutoff: str) -> list[str]:
    p = service.store.prefix
    return [row[0] for row in service.store.query(
        f"SELECT id FROM {p}_uploads u WHERE created_at < ? AND NOT EXISTS"
        f" (SELECT 1 FROM {p}_upload_uses x WHERE x.id = u.id)", (cutoff,))]


def _forget(service, upload_id: str) -> bool:
    """Drop the upload's row unless a ticket has named it meanwhile; True when it is gone."""
    p = service.store.prefix
    service.store.execute([Write(
        f"DELETE FROM {p}_uploads WHERE id = ? AND NOT EXISTS"
        f" (SELECT 1 FROM {p}_upload_uses x WHERE x.id = ?)", (upload_id, upload_id))])
    return not service.store.query(f"SELECT 1 FROM {p}_uploads WHERE id = ?", (upload_id,))


async def expire_unused(service, attachments: AttachmentStore) -> int:
    """Delete the uploads no ticket has named in time; returns how many went. The row goes
    first, so no ticket can name a file being deleted; a crash before the file goes leaves an
    unreferenced file, never a ticket without its file."""
    cutoff = (service.now() - timedelta(hours=service.settings.uploads_expire_hours)).isoformat()
    gone = 0
    for upload_id in await asyncio.to_thread(unused_before, service, cutoff):
        if await asyncio.to_thread(_forget, service, upload_id):
            await attachments.delete(upload_id)
            gone += 1
    if gone:
        log_event(log, "unggahan tak terpakai dihapus", count=gone)
    return gone


async def sweep(service, stop: asyncio.Event) -> None:
    """Intake's background task: expire unused uploads every 10 minutes."""
    attachments = AttachmentStore(service.broker)
    while not stop.is_set():
        try:
            await expire_unused(service, attachments)
        except Exception as exc:  # noqa: BLE001 - NATS away: the next sweep tries again
            log_event(log, "penghapusan unggahan gagal", logging.WARNING, error=repr(exc))
        try:
            await asyncio.wait_for(stop.wait(), EXPIRY_SWEEP_S)
        except TimeoutError:
            pass
