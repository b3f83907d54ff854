"""The retention timer: each unit's standard sets how many days a closed ticket keeps its
reporter's personal data (`[privacy] retention_days`); then the desk erases it, reason
"retention". Once per ticket across restarts and replicas: an erased ticket has a row in
`_erasures`, written with its erasure event (`privacy.py`)."""

from __future__ import annotations

import asyncio
import logging
from itertools import groupby

from ...schemas.envelope import SYSTEM
from . import privacy
from .erasure import delete_files, erase_tickets

log = logging.getLogger("lpse_helpdesk.desk.retention")
INTERVAL_S = 600.0  # how often the timer looks; an erasure may come this late
FIRST_S = 5.0  # the first look, after a start


async def sweep(service) -> int:
    """Erase what is due now (the service's clock), and delete the files erasures left;
    returns how many tickets were erased."""
    due = await asyncio.to_thread(privacy.due_for_retention, service.store, service.standards,
                                  service.now())
    erased = 0
    for tenant, rows in groupby(due, key=lambda row: row[0]):
        result = await erase_tickets(service, tenant, [ticket for _, ticket in rows],
                                     "retention", SYSTEM)
        erased += sum(t.recorded for t in result.tickets)
    if erased:
        log.info("retensi: data pribadi %d tiket dihapus", erased)
    # Files of erased tickets that NATS did not take when they were erased.
    left = await asyncio.to_thread(privacy.pending_files, service.store)
    if left:
        await delete_files(service.attachments, service.store, left)
    return erased


async def run(service, stop: asyncio.Event) -> None:
    wait = FIRST_S
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), wait)
            return
        except TimeoutError:
            pass
        wait = getattr(service, "retention_interval", INTERVAL_S)
        try:
            await sweep(service)
        except Exception as exc:  # noqa: BLE001 - a busy store or NATS away: next round
            log.warning("retensi gagal; dicoba lagi: %r", exc)
