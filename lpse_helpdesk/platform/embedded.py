"""The embedded default (`lpse-helpdesk up`, and `bench`): a front and worker processes on the
same stores.

Why two: every service in one interpreter is bound by that interpreter (the profiles in
docs/performance.md), and a ticket's path to `ticket.classified` shared it with the four
consumers that follow. Six processes (one per service, as in production) use both cores but
about 80 MB each. Two processes use both cores within the memory target:

- the front (the `up` process): HTTP for every service on one port, intake's SMTP listener,
  and the work of intake, triage and web: the path from a report to its classification;
- the worker (spawned here): the consumers and timers of escalation, desk, notify and
  faq_publisher, with no HTTP.

Both open the same stores (SQLite files in the data folder, or PostgreSQL), as replicas of a
service do: the front records staff actions, the worker records what it consumes, and each
publishes its store's outbox (a shared position; JetStream drops a repeat by its msg id).

With `workers` > 1 (`up --workers N`, `HELPDESK_WORKERS`) the background services are split
over N worker processes (`worker_groups`), each service in exactly one of them: its consumers,
its timers (escalation's SLA clock, desk's retention, notify's sender) and its store's writes
run in one process, as with one worker, so a ticket's events are still projected in stream
order, each mail is sent by one sender and each timer runs once. What a split buys is cores:
one worker process is bound by its interpreter (one core), and the services' work after
`classified` is several times the front's (docs/performance.md). Replicas of one service on a
shared durable consumer (as `run SERVICE` on several machines) are not used here: notify's
sender and the timers would then run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time

from ..settings import Settings
from . import eventloop
from .natsserver import die_with_parent
from .observability import forget_process, log_event

log = logging.getLogger("lpse_helpdesk.embedded")

FRONT = ("intake", "triage", "web")
BACKGROUND = ("escalation", "desk", "notify", "faq_publisher")
# The worker yields the CPU to the front: a reporter waits on the front's HTTP answer and on
# the classification, nobody waits on the worker's backlog (durable; it drains). At 500
# tickets/s offered, p99 to classified went from 1342 ms to 425 – 664 ms (docs/performance.md).
WORKER_NICENESS = 5


def _worker_main(settings: Settings, names: tuple[str, ...], log_level: str, ready, stop) -> None:
    """The worker process: `names`' consumers and timers until `stop` is set or SIGTERM."""
    die_with_parent()  # no worker outlives `up`, even after a kill -9 of it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches `up`, which stops us in order
    os.nice(WORKER_NICENESS)
    from ..bootstrap import unit_standards
    from ..services import definition
    from .observability import setup_logging  # noqa: PLC0415 - in the spawned child only
    from .runtime import Runtime

    setup_logging(log_level)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        runtime = Runtime(settings, [definition(n) for n in names],
                          standards=unit_standards(settings), serve_http=False)
        async with runtime:
            await runtime.nats_ready.wait()
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.2)

    eventloop.run(main())


# The background services over N worker processes. CPU a ticket, each service alone in a
# worker (`bench --rate 500 --workers 4`, /proc): notify 3.4 ms (two mails and their outcome
# events), desk 2.0 ms (the projection of every event), escalation 1.0, faq_publisher 0.65.
# So with two, notify has one and the rest the other; desk, whose projection is what the
# reporter and the staff queue show, never shares a process with notify's mail rounds.
GROUPS = {
    1: (BACKGROUND,),
    2: (("desk", "escalation", "faq_publisher"), ("notify",)),
    3: (("desk",), ("notify",), ("escalation", "faq_publisher")),
    4: (("desk",), ("notify",), ("escalation",), ("faq_publisher",)),
}
MAX_WORKERS = len(GROUPS)


def worker_groups(count: int) -> tuple[tuple[str, ...], ...]:
    """The services of each of `count` worker processes: every background service in exactly
    one (`count` beyond the number of services gives no more processes)."""
    if count < 1:
        raise ValueError(f"workers: {count} < 1")
    return GROUPS[min(count, MAX_WORKERS)]


QUICK_DEATH = 60.0  # seconds: a worker that dies sooner counts as not having started well


class WorkerProcess:
    """Starts, watches and stops the worker. `spawn`, not fork: the parent runs an event loop
    and threads that a forked child must not inherit."""

    def __init__(self, settings: Settings, names: tuple[str, ...] = BACKGROUND,
                 log_level: str = "INFO"):
        # `up` logs a line per handled event in both processes; `bench` logs warnings only, as
        # its own (front) process does, so that both sides of it carry the same work.
        self.settings, self.names, self.log_level = settings, names, log_level
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._stop = self._ready = None
        self.restarts = 0
        self.quick_deaths = 0  # deaths in a row, each soon after its start (`restart_delay`)
        self._started_at = 0.0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Spawn it, from the thread that will outlive it: Linux sends the parent-death signal
        when the spawning *thread* ends, so never from a short-lived worker thread."""
        self._stop, self._ready = self._context.Event(), self._context.Event()
        self._process = self._context.Process(
            target=_worker_main,
            args=(self.settings, self.names, self.log_level, self._ready, self._stop),
            name=f"lpse-helpdesk-worker[{'+'.join(self.names)}]", daemon=False)
        self._process.start()
        self._started_at = time.monotonic()

    def restart_delay(self, base: float = 1.0, cap: float = 60.0) -> float:
        """How long to wait before the next start: `base` after a worker that ran a while, then
        doubling while each start dies within a minute (a broken config, a full disk), up to
        `cap`. Why: without it a worker that cannot start was restarted every second, filling
        the log and the CPU, and a later success came no sooner."""
        if time.monotonic() - self._started_at >= QUICK_DEATH:
            self.quick_deaths = 0
        else:
            self.quick_deaths += 1
        return min(base * 2 ** max(0, self.quick_deaths - 1), cap)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until it is connected to NATS, or raise with why not."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if not self._process.is_alive():
                raise RuntimeError(f"proses pekerja berhenti saat mulai (kode "
                                   f"{self._process.exitcode}); lihat log di atas")
            if time.monotonic() > deadline:
                raise RuntimeError(f"proses pekerja tidak siap dalam {timeout:.0f} detik")

    async def started(self, timeout: float = 60.0) -> None:
        """`start` here, then wait for it without blocking the event loop."""
        self.start()
        await asyncio.to_thread(self.wait_ready, timeout)

    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def status(self) -> str:
        """For /ready: "ok", or why the worker's services are not working."""
        if self.alive() and self._ready.is_set():
            return "ok"
        return "proses pekerja tidak berjalan / worker process not running"

    async def watch(self, stop: asyncio.Event, interval: float = 1.0,
                    base_delay: float = 1.0) -> None:
        """Start the worker again whenever it has died (a crash, the OOM killer): its
        consumers are durable, so it resumes where it stopped. A worker that keeps dying
        soon after its start is restarted less and less often (`restart_delay`)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set() or self.alive():
                continue
            forget_process(self._process.pid)  # its gauges; its counters are still totals
            delay = self.restart_delay(base_delay)
            log_event(log, "proses pekerja mati; dimulai lagi", logging.WARNING,
                      exitcode=self._process.exitcode, restarts=self.restarts + 1,
                      retry_in=delay, services=list(self.names))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return
            self.restarts += 1
            try:
                await self.started()
            except RuntimeError as exc:
                log_event(log, "proses pekerja gagal dimulai lagi", logging.ERROR, error=str(exc),
                          services=list(self.names))

    def request_stop(self) -> None:
        """Ask it to stop in order (its consumers finish their batch), without waiting."""
        if self._stop is not None:
            self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        if self._process is None:
            return
        self.request_stop()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


class Workers:
    """`count` worker processes (`worker_groups`), started, watched and stopped together; each
    is a `WorkerProcess` and is restarted on its own when it dies."""

    def __init__(self, settings: Settings, count: int = 1, log_level: str = "INFO"):
        self.processes = [WorkerProcess(settings, names, log_level)
                          for names in worker_groups(count)]

    @property
    def pids(self) -> list[int | None]:
        return [p.pid for p in self.processes]

    @property
    def restarts(self) -> int:
        return sum(p.restarts for p in self.processes)

    async def started(self, timeout: float = 60.0) -> None:
        """All started at once (from this thread: see `WorkerProcess.start`), then waited for."""
        for process in self.processes:
            process.start()
        for process in self.processes:
            await asyncio.to_thread(process.wait_ready, timeout)

    def status(self) -> str:
        """For /ready: "ok", or which services' worker is not working."""
        for process in self.processes:
            if process.status() != "ok":
                return f"{process.status()}: {'+'.join(process.names)}"
        return "ok"

    async def watch(self, stop: asyncio.Event, interval: float = 1.0,
                    base_delay: float = 1.0) -> None:
        await asyncio.gather(*(p.watch(stop, interval, base_delay) for p in self.processes))

    def stop(self, timeout: float = 30.0) -> None:
        """Every worker asked first, then each waited for: they stop side by side."""
        for process in self.processes:
            process.request_stop()
        for process in self.processes:
            process.stop(timeout)
