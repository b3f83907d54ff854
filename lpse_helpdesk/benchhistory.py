"""`lpse-helpdesk bench --history N`: a helpdesk with years behind it, then what staff wait for.

This side runs in the bench's own process: it adds the staff accounts, lets `benchstaff` (in a
spawned process) and `benchfill` make the history and time the reads, waits until the consumers and the mail
sender have caught up, and measures disk and memory.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from .benchfill import fill_direct
from .benchstaff import _login as login
from .benchstaff import add_staff, reads_main


def folder_bytes(*folders: Path) -> int:
    """Bytes the files under `folders` take on disk (allocated blocks, as `du`)."""
    total = 0
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                if path.is_file():
                    total += path.stat().st_blocks * 512
            except OSError:  # a file removed while walking (a compacted segment)
                continue
    return total


def rss_of(pid: int) -> float:
    """A running process's resident memory now (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _DropMail:
    """aiosmtpd handler: the history's mails are taken and dropped (what a mail server does
    for the bench), so notify works them off as it would in production."""

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


async def _in_process(target, *args):
    """Run `target(*args, results)` in a spawned process; its result, or raise its error."""
    import multiprocessing
    import queue

    context = multiprocessing.get_context("spawn")  # no fork of a running event loop
    results = context.Queue()
    child = context.Process(target=target, args=(*args, results))
    child.start()

    def wait():
        while True:
            try:
                return results.get(timeout=1.0)
            except queue.Empty:
                if not child.is_alive():
                    return RuntimeError(f"proses bench berhenti (kode {child.exitcode})")

    outcome = await asyncio.to_thread(wait)
    await asyncio.to_thread(child.join, 10)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


async def drained(nats_url: str, timeout: float) -> bool:
    """Wait until every durable consumer has worked through its backlog."""
    import nats

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = await js.consumers_info("TICKETS")
            if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                return True
            await asyncio.sleep(0.2)
        return False
    finally:
        await nc.close()


async def _mails_sent(store, timeout: float) -> int:
    """Wait until notify has no mail left to send; the number still waiting at the end."""
    sql = f"SELECT COUNT(*) FROM {store.prefix}_mails WHERE status IN ('pending', 'delivered')"
    deadline = time.monotonic() + timeout
    while True:
        waiting = (await asyncio.to_thread(store.query, sql))[0][0]
        if not waiting or time.monotonic() > deadline:
            return waiting
        await asyncio.sleep(0.5)


def fast_path() -> bool:
    """The fast fill before the services start (`benchpast`), unless
    HELPDESK_BENCH_HISTORY_PATH=app asks for the in-process fill while they run (`benchfill`)."""
    return os.environ.get("HELPDESK_BENCH_HISTORY_PATH", "fast") != "app"


async def fill_before_start(settings, standards, tickets: int, nats_dir: Path) -> dict:
    """The fast fill (`benchpast.fill_offline`), with the staff accounts, before the services
    start; disk bytes measured around it."""
    from .benchpast import fill_offline

    before = await asyncio.to_thread(folder_bytes, settings.data_dir, nats_dir)
    done = await fill_offline(settings, standards, tickets, staff=add_staff)
    done["disk_before"] = before
    return done


class History:
    """The filled history: its figures, and what the timed reads need (tickets, tokens)."""

    def __init__(self, figures: dict, numbers: list, tokens: dict):
        self.figures, self.numbers, self.tokens = figures, numbers, tokens


async def fill(runtime, settings, tickets: int, nats_dir: Path,
               made: dict | None = None) -> History:
    """Fill `tickets` of history into the running helpdesk (or take `made`, the fast fill's
    result from before it started) and wait until every consumer has it; disk bytes per
    ticket are the stores' and the stream's growth over the history."""
    from urllib.parse import urlparse

    import httpx
    from aiosmtpd.controller import Controller

    if made is None:
        await asyncio.to_thread(add_staff, runtime.service("desk").store, runtime.standards)
    before = (made["disk_before"] if made is not None
              else await asyncio.to_thread(folder_bytes, settings.data_dir, nats_dir))
    base = f"http://{settings.http_host}:{settings.http_port}"
    sink = Controller(_DropMail(), hostname="127.0.0.1", port=urlparse(settings.smtp_url).port)
    sink.start()
    try:
        started = time.monotonic() - (made["seconds"] if made is not None else 0.0)
        # In this process, without HTTP, through each service's own application layer
        # (`benchfill.fill_direct`); the staff's tokens for the timed reads over HTTP.
        done = made if made is not None else await fill_direct(runtime, settings.nats_url,
                                                                tickets)
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            done["tokens"] = await login(http)
        caught_up = await drained(settings.nats_url, timeout=600)
        # The history's mails too: a backlog left for the load would delay its receipts.
        mails_left = await _mails_sent(runtime.service("notify").store, timeout=600)
        elapsed = time.monotonic() - started
    finally:
        sink.stop()
    after = await asyncio.to_thread(folder_bytes, settings.data_dir, nats_dir)
    stream = await asyncio.to_thread(folder_bytes, nats_dir)
    figures = {"history_tickets": tickets, "history_fill_s": round(elapsed, 1),
               "history_posts_s": round(done["seconds"], 1), "history_caught_up": caught_up,
               "history_path": "app" if made is None else "fast",
               **{f"history_{k}": done[k] for k in ("steps", "events", "stream_kept", "seconds_by")
                  if k in done},
               "history_mails_waiting": mails_left, "history_conflicts": done["conflicts"],
               "disk_bytes_per_ticket": round((after - before) / tickets),
               "disk_bytes_total": after, "disk_stream_bytes": stream}
    return History(figures, done["numbers"], done["tokens"])


async def timed_reads(settings, history: History, requests: int = 300,
                      concurrency: int = 8, probes: int = 50) -> dict:
    """The staff's and the public's reads under `concurrency` requests at a time, and meanwhile
    `probes` tickets timed to their category in the reporter's view and to their receipt mail
    (`benchstaff._probe`). At most one probe per history ticket: the probes' reporter has the
    bench's per-address mail allowance, which is at least the history's size."""
    from urllib.parse import urlparse

    base = f"http://{settings.http_host}:{settings.http_port}"
    return await _in_process(reads_main, base, history.tokens, history.numbers, requests,
                             concurrency, min(probes, len(history.numbers)),
                             urlparse(settings.smtp_url).port)
