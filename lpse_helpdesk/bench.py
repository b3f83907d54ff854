"""`lpse-helpdesk bench`: figures of the embedded deployment on this machine.

Starts its own nats-server and every service (in two processes, as `up` does) in a temporary
folder. It posts N tickets through the public HTTP intake, C at a time (or R a second with
`--rate`), and times each from the start of its POST to its `ticket.classified` on the bus and
to the reporter's receipt mail at a real SMTP listener (`benchclient`). Then it measures a bulk
rebuild of every rebuildable read model (desk's and FAQ's) from the stream, the peak memory of
the processes, and the raw JetStream publish rate of this machine with nats-py, and prints every
figure beside it as a ratio. With `--split` every service runs as its own process instead
(`benchsplit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

import nats

from . import benchhistory
from .benchclient import client_main
from .benchreport import own_peak_rss_mb as _own_peak_rss_mb
from .benchreport import phase, print_figures
from .benchreport import reset_own_peak_rss as _reset_own_peak_rss
from .benchsplit import SplitServices, peak_rss_of
from .benchstaff import percentile as _percentile
from .platform import eventloop
from .platform.embedded import FRONT, Workers
from .platform.natsserver import EmbeddedNats, free_port
from .platform.runtime import Runtime
from .settings import Settings, WorkerCount, checked


async def _raw_publish_rate(url: str, count: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="BENCHRAW", subjects=["benchraw.>"])
    body = b'{"x":' + b"1" * 600 + b"}"  # about the size of a ticket event
    started = time.perf_counter()
    for chunk in range(0, count, 100):  # 100 in flight, acks awaited: like a busy relay
        await asyncio.gather(*(js.publish(f"benchraw.{i}", body)
                               for i in range(chunk, min(count, chunk + 100))))
    rate = count / (time.perf_counter() - started)
    await js.delete_stream("BENCHRAW")
    await nc.close()
    return rate


def _result_of(client, results):
    """The client's figures, or an error if it died without sending them."""
    import queue

    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            if not client.is_alive():
                return RuntimeError(f"proses klien bench berhenti (kode {client.exitcode})")


async def _drive(settings: Settings, tickets: int, concurrency: int, split: bool,
                 rate: float | None, nats_pid: int, history_tickets: int = 0) -> dict:
    """The load against the embedded default (this process and `settings.workers` workers, as
    `up`), or with `split` against every service as its own process (`run SERVICE`). With
    `history_tickets`, a history first (`benchhistory`), and the staff's reads after the load."""
    from .services import NAMES, all_definitions
    from .standards import load_standards

    standards = load_standards()
    made = None  # the fast history, made before the services start (`benchpast`)
    if history_tickets and not split and benchhistory.fast_path():
        with phase(f"riwayat: {history_tickets} tiket", f"history: {history_tickets} tickets"):
            made = await benchhistory.fill_before_start(settings, standards, history_tickets,
                                                        settings.data_dir.parent / "nats")
    async with contextlib.AsyncExitStack() as running:
        with phase("memulai layanan", "starting the services"):
            if split:
                services = SplitServices(settings, tuple(n for n in NAMES if n != "web"))
                running.push_async_callback(asyncio.to_thread, services.stop)
                await asyncio.to_thread(services.start)
            else:  # as `up` runs it: this process and its worker processes (platform/embedded.py)
                runtime = await running.enter_async_context(Runtime(
                    settings, all_definitions(), standards=standards, work=FRONT))
                worker = Workers(settings, settings.workers, log_level="WARNING")
                running.push_async_callback(asyncio.to_thread, worker.stop)
                await worker.started()
                await asyncio.wait_for(runtime.nats_ready.wait(), 30)
        history = None
        if history_tickets:
            with phase(f"riwayat: {history_tickets} tiket", f"history: {history_tickets} tickets"):
                history = await benchhistory.fill(runtime, settings, history_tickets,
                                                  settings.data_dir.parent / "nats", made)
        if split:
            figures = await _load(settings, services.ports["intake"], tickets, concurrency, rate)
            figures["peak_rss_mb"] = round(services.peak_rss_mb() + peak_rss_of(nats_pid), 1)
        else:
            figures = await _load(settings, settings.http_port, tickets, concurrency, rate)
            # Each process's own peak while serving, summed: an upper bound of what they held
            # together (their peaks need not coincide). Read before the rebuild and the raw
            # publish test, which are measurements of their own.
            figures["peak_rss_mb"] = round(_own_peak_rss_mb() + sum(
                peak_rss_of(pid) for pid in worker.pids) + peak_rss_of(nats_pid), 1)
            each = {"+".join(p.names): benchhistory.rss_of(p.pid) for p in worker.processes}
            figures["rss_mb"] = {name: round(mb, 1) for name, mb in (
                ("front", benchhistory.rss_of(os.getpid())), ("worker", sum(each.values())),
                ("nats", benchhistory.rss_of(nats_pid)), *(each.items() if len(each) > 1 else ()))}
        if history is not None:
            figures.update(history.figures)
            with phase("waktu baca staf", "timing the staff's reads"):
                figures.update(await benchhistory.timed_reads(settings, history))
        with phase("menghentikan layanan", "stopping the services"):
            await running.aclose()
    # The rebuild is timed once the services have stopped, as `lpse-helpdesk rebuild` runs
    # (service stopped): timed beside the idle runtime, whose event loop and consumers' pull
    # loops share the GIL, it measured about 5 % lower (docs/performance.md).
    reset = _reset_own_peak_rss()
    with phase("bangun ulang read model dari stream", "rebuilding the read models"):
        figures["rebuild_events_per_s"] = round(
            await asyncio.to_thread(_rebuild_rate, settings.nats_url, standards,
                                    settings.data_dir), 1)
    # The rebuild's memory (a few pulls and the desk's window of histories, platform/rebuild.py)
    # is its own figure: it runs with the services stopped. Without the reset (not Linux)
    # it would include the front's peak, so it is left out there.
    figures["rebuild_peak_rss_mb"] = round(_own_peak_rss_mb(), 1) if reset else None
    return figures


async def _load(settings: Settings, port: int, tickets: int, concurrency: int,
                rate: float | None) -> dict:
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no fork of a running event loop
    results = context.Queue()
    smtp_port = urlparse(settings.smtp_url).port
    # Only the load's own events count in `events_per_s`, not a history filled before it.
    nc = await nats.connect(settings.nats_url)
    stream_before = (await nc.jetstream().stream_info("TICKETS")).state.messages
    await nc.close()
    client = context.Process(target=client_main, args=(
        settings.http_host, port, settings.nats_url, tickets, concurrency, smtp_port, rate,
        results))
    with phase(f"beban: {tickets} tiket", f"load: {tickets} tickets"):
        client.start()
        outcome = await asyncio.to_thread(_result_of, client, results)
        await asyncio.to_thread(client.join, 10)
    if isinstance(outcome, BaseException):
        raise outcome
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    stream_events = (await js.stream_info("TICKETS")).state.messages - stream_before
    # Wait until every consumer (desk, escalation, notify, faq) has worked through the
    # backlog that is still queued when the last ticket is classified, so that the rebuild is
    # timed on a quiet machine.
    with phase("menunggu antrean consumer habis", "waiting for the consumers' backlog"):
        drained_by = time.monotonic() + 120
        while time.monotonic() < drained_by:
            infos = await js.consumers_info("TICKETS")
            if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                break
            await asyncio.sleep(0.1)
    await nc.close()
    latencies, receipts = outcome["latencies"], outcome["receipt_latencies"]
    duration = outcome["finished"] - outcome["started"]
    figures = {"tickets": tickets, "duration_s": round(duration, 2),
               "tickets_per_s": round(tickets / duration, 1),
               "p50_ms": round(statistics.median(latencies), 1),
               "p95_ms": round(_percentile(latencies, 95), 1),
               "p99_ms": round(_percentile(latencies, 99), 1),
               "events_per_s": round(stream_events / duration, 1),
               # Post -> the reporter's receipt mail at the SMTP listener (notify's sender).
               "receipts": len(receipts), "mails": outcome["mails_received"],
               "receipts_per_s": round(
                   len(receipts) / (outcome["receipts_finished"] - outcome["started"]), 1)}
    # The stages before `classified`, to tell where a slow tail comes from.
    for stage in ("answer", "received"):
        values = outcome[f"{stage}_latencies"]
        figures.update({f"{stage}_p50_ms": round(statistics.median(values), 1),
                        f"{stage}_p99_ms": round(_percentile(values, 99), 1)})
    if receipts:
        figures.update(receipt_p50_ms=round(statistics.median(receipts), 1),
                       receipt_p95_ms=round(_percentile(receipts, 95), 1),
                       receipt_p99_ms=round(_percentile(receipts, 99), 1))
    return figures


def _rebuild_rate(nats_url: str, standards: dict, keys_from: Path | None = None) -> float:
    """A real rebuild of every rebuildable read model from the stream, into fresh stores: the
    desk's (timeline, ticket index, ticket states) as `lpse-helpdesk rebuild desk` does it, and
    the FAQ's (entries, search) with the same bulk path (`platform/rebuild.py`; the command
    itself rebuilds the FAQ by letting its consumer replay the stream).

    Timed from the first fetch to the last commit, after the services have stopped: reading
    each consumer's subjects from the TICKETS stream on the still running nats-server (an
    ephemeral pull consumer, 5000 messages a pull request),
    decoding, folding each ticket once, and writing the rows and one tracking row per message
    with executemany in one transaction per read model (SQLite, synchronous=FULL).
    The rate is the messages replayed (desk's plus FAQ's) over that time.
    """
    return eventloop.run(_rebuild(nats_url, standards, keys_from))


async def _rebuild(nats_url: str, standards: dict, keys_from: Path | None = None) -> float:
    from .bootstrap import build_service
    from .platform import rebuild
    from .platform.streamproc import read_apart
    from .platform.subscription import subjects_of
    from .services import definition

    replayed = 0
    nc = await nats.connect(nats_url)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        # The served helpdesk's keys, as a rebuild in its own data folder has them: without
        # them every sealed value reads "[data dihapus]" (docs/privacy.md).
        for path in Path(keys_from).glob("*") if keys_from else ():
            if path.name.startswith(("keys.sqlite", "personal.key")):
                shutil.copy(path, Path(folder) / path.name)
        stores, work = [], []
        for name in ("desk", "faq_publisher"):
            spec = definition(name)
            built = build_service(spec, settings, standards)
            stores.append(built.store)
            work += [(built.store, c) for c in spec.consumers(built.app) if c.rebuild_tables]
        # As the command reads (`rebuild.rebuild_in_bulk`): a long stream in a child process.
        apart = (await nc.jetstream().stream_info("TICKETS")).state.messages >= rebuild.APART_FROM
        started = time.perf_counter()
        for store, spec in work:
            replayed += (await (read_apart(nats_url, subjects_of(spec.subject), partial(
                rebuild.bulk_rebuild, store, spec)) if apart else rebuild.rebuild_from_stream(
                nc, store, spec))).replayed
        elapsed = time.perf_counter() - started
        for store in stores:
            store.close()
    await nc.close()
    return replayed / elapsed


def run(quick: bool, as_json: bool, tickets: int | None = None, concurrency: int = 32,
        split: bool = False, rate: float | None = None, history: int = 0,
        workers: int | None = None) -> int:
    tickets = tickets or (300 if quick else 3000)
    workers = workers or checked(os.environ.get("HELPDESK_WORKERS") or "1", WorkerCount)
    if history and split:
        raise SystemExit("bench: --history hanya untuk tata letak tertanam / embedded layout only")
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedNats(free_port(), Path(folder) / "nats")
        with phase("memulai nats-server", "starting nats-server"):
            server.start(move=True)  # the free port may be taken before the server binds it
        try:
            # Every ticket's receipt goes to benchclient's one reporter address: notify's
            # per-address limit (an anti-spam guard) must let them all through. The split
            # layout's processes read it from the environment.
            # Every ticket comes from this one client address, too: the per-client rate limits
            # of the anonymous doors are raised the same way.
            os.environ["HELPDESK_REPORTER_MAILS_PER_HOUR"] = str(tickets + history)
            unlimited = {f"rate_{door}_per_minute": 10 * (tickets + history)
                         for door in ("tickets", "uploads", "logins", "votes")}
            os.environ.update({f"HELPDESK_{name.upper()}": str(value)
                               for name, value in unlimited.items()})
            settings = Settings(data_dir=Path(folder) / "data", nats_url=server.url,
                                http_port=free_port(), smtp_url=f"smtp://127.0.0.1:{free_port()}",
                                reporter_mails_per_hour=tickets + history, workers=workers,
                                **unlimited)
            layout = "tiap layanan satu proses" if split else f"tertanam, {1 + workers} proses"
            offered = f"{rate:g} tiket/detik ditawarkan" if rate else "secepat mungkin"
            print(f"bench: {tickets} tiket, {concurrency} bersamaan, {offered}, {layout},"
                  f" data di {folder}", flush=True)
            figures = eventloop.run(_drive(settings, tickets, concurrency, split, rate,
                                           server.process.pid, history))
            with phase("publish JetStream mentah", "raw JetStream publish"):
                figures["raw_publish_per_s"] = round(eventloop.run(
                    _raw_publish_rate(server.url, 5000 if quick else 20000)), 1)
            figures.update(layout="split" if split else "embedded", workers=0 if split else workers)
            figures["offered_per_s"] = rate or 0  # 0: closed loop, as fast as it answers
        finally:
            server.stop()
    print_figures(figures)
    if as_json:
        print(json.dumps(figures))
    return 0
