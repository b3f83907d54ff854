"""Runs one or more services in this process: stores, relays, tracked consumers, HTTP.

`lpse-helpdesk run SERVICE` runs one. `lpse-helpdesk up` runs two: this process serves HTTP
for every service and does the work of the front services (`work`), and a worker process does
the rest (`platform/embedded.py`). The HTTP server starts first and NATS is connected in the
background, so a service whose NATS is down still answers health checks and (intake) still
accepts tickets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn

from ..bootstrap import build_service
from ..schemas import STREAM
from ..settings import Settings
from . import flow
from .auth import TokenSigner, load_secret
from .bus import (
    connect_with_retry,
    ensure_buckets,
    ensure_stream,
    make_broker,
    publish_event,
    publish_events,
)
from .consumer import TrackedConsumer
from .http import build_http_app
from .observability import Metrics, log_event
from .natsauth import redacted
from .outbox import OutboxRelay
from .revocations import follow as follow_revocations
from .service import ServiceDefinition, utc_now
from .store import ServiceStore
from .subscription import subscribe

log = logging.getLogger("lpse_helpdesk.runtime")


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime's owner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class RunningService:
    definition: ServiceDefinition
    store: ServiceStore
    app: Any
    relay: OutboxRelay
    consumers: list[TrackedConsumer] = field(default_factory=list)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        definitions: Sequence[ServiceDefinition],
        standards: dict[str, Any] | None = None,
        serve_http: bool = True,
        now: Callable[[], datetime] = utc_now,
        work: Collection[str] | None = None,
    ):
        self.settings, self.definitions = settings, list(definitions)
        self.standards = standards if standards is not None else {}
        self.serve_http = serve_http
        # The services whose consumers and background loops run here (None: all of them).
        # The others only serve their HTTP routes and publish their own outbox; another
        # process runs their work on the same stores.
        self.work = set(work) if work is not None else {d.name for d in self.definitions}
        # Other parts /ready reports on (name -> "ok" or why not), e.g. `up`'s worker process.
        self.companions: dict[str, Callable[[], str]] = {}
        self.now = now
        self.signer = TokenSigner(load_secret(settings))
        self.metrics = Metrics()
        self.broker = make_broker(settings.nats_url, settings.nats_ca_file)
        self.services: dict[str, RunningService] = {}
        self.stop_event = asyncio.Event()
        self.nats_ready = asyncio.Event()
        self.flow_problems: dict[str, str] = {}  # what keeps tickets from flowing (flow.py)
        self._tasks: list[asyncio.Task] = []
        self._server: _QuietServer | None = None
        self.http_app = None  # the Litestar app once HTTP serves (tests walk its routes)
        self._server_task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    # --- start -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        for definition in self.definitions:
            self.services[definition.name] = await asyncio.to_thread(self._build, definition)
        for running in self.services.values():
            for consumer in running.consumers:  # they start with the broker (`_connect_bus`)
                subscribe(self.broker, consumer)
            self._tasks.append(asyncio.create_task(running.relay.run(self.stop_event)))
            if running.definition.name not in self.work:
                continue
            for loop in running.definition.tasks(running.app):
                self._tasks.append(asyncio.create_task(loop(self.stop_event)))
        if self.serve_http:
            await self._start_http()
        self._tasks.append(asyncio.create_task(self._connect_bus()))
        self._tasks.append(asyncio.create_task(self._watch_flow()))

    def _build(self, definition: ServiceDefinition) -> RunningService:
        built = build_service(definition, self.settings, self.standards, now=self.now,
                              signer=self.signer, broker=self.broker, loop=self.loop)
        store, app = built.store, built.app
        if hasattr(app, "metrics"):  # a service that counts its own outcomes (notify's mails)
            app.metrics = self.metrics

        async def publish(subject: str, body: bytes, msg_id: str, headers=None) -> bool:
            return await publish_event(self.broker, subject, body, msg_id, headers)

        async def publish_batch(items: list[tuple]) -> list[bool]:
            return await publish_events(self.broker, items)

        # A service whose work runs in another process records here only what this process's
        # HTTP routes decide, and every record wakes the relay; the other process's relay polls
        # the shared store. Polling it here too every 0.5 s only read the same rows twice.
        poll = 0.5 if definition.name in self.work else 5.0
        consumers = list(definition.consumers(app)) if definition.name in self.work else []
        # Store work on the loop's thread (TrackedConsumer.inline, OutboxRelay.inline_reads) is
        # decided here, once: only on SQLite (on PostgreSQL every call is a round trip that
        # would hold the loop). The relay reads there only where no writer of the store waits
        # for the loop (the decision guard of desk's and escalation's consumers does), because
        # such a read can queue behind a writer in eventsourcing's pool.
        sqlite = not store.is_postgres
        loop_safe = definition.name in self.work and all(spec.inline for spec in consumers)
        relay = OutboxRelay(store, publish, self.metrics, publish_batch=publish_batch,
                            poll_interval=poll, inline_reads=sqlite and loop_safe,
                            max_bytes=lambda: self._largest_event(store))
        store.listeners.append(relay.wake)
        running = RunningService(definition, store, app, relay)
        for spec in consumers:
            running.consumers.append(TrackedConsumer(
                spec.name, spec.subject, spec.handler, store, self.settings, self.metrics,
                inline=sqlite and spec.inline,
            ))
        return running

    async def _start_http(self) -> None:
        routes = [r for s in self.services.values() for r in s.definition.routes(s.app)]
        app = self.http_app = build_http_app(self, routes)  # tests walk its routes
        config = uvicorn.Config(
            app, host=self.settings.http_host, port=self.settings.http_port,
            log_level="warning", access_log=False, lifespan="on",
        )
        self._server = _QuietServer(config)
        self._server_task = asyncio.create_task(self._server.serve())
        self._tasks.append(self._server_task)
        while not self._server.started:
            if self._server_task.done():  # e.g. the port is taken: surface the error now
                self._server_task.result()
                raise RuntimeError(f"HTTP tidak bisa mulai di port {self.settings.http_port}")
            await asyncio.sleep(0.02)

    async def _connect_bus(self) -> None:
        if not await connect_with_retry(self.broker, self.stop_event,
                                        redacted(self.settings.nats_url)):
            return
        while not self.stop_event.is_set():
            try:
                await ensure_stream(self.broker, self.settings.stream_replicas,
                                    self.settings.stream_max_age_days,
                                    self.settings.stream_max_bytes)
                await ensure_buckets(self.broker, self.settings.stream_replicas,
                                     self.settings.attachments_max_bytes)
                # The durable consumers first: the subscribers only bind to them.
                js = self.broker.connection.jetstream()
                for running in self.services.values():
                    for consumer in running.consumers:
                        await consumer.ensure_consumer(js)
                await self.broker.start()  # starts the tracked consumers' subscribers
                break
            except Exception as exc:  # noqa: BLE001 - JetStream not ready yet: retry
                log_event(log, "JetStream belum siap", logging.WARNING, error=repr(exc))
                await asyncio.sleep(1.0)
        # Revoked staff tokens: refused here too as soon as any process revokes them.
        self._tasks.append(asyncio.create_task(follow_revocations(
            self.broker.connection, self.signer.revocations, self.stop_event)))
        self.nats_ready.set()
        log_event(log, "terhubung ke NATS", nats=redacted(self.settings.nats_url),
                  services=list(self.services))

    async def _watch_flow(self) -> None:
        """Every 5 s: the lag of this process's consumers, and whether the stream, every durable
        consumer on it and the data disk still let tickets through (`flow`)."""
        progress = flow.ConsumerProgress()
        while not self.stop_event.is_set():
            problems: dict[str, str] = {}
            if not self.settings.uses_postgres:
                free, why = await asyncio.to_thread(flow.disk_full, self.settings.data_dir)
                self.metrics.disk_free.set(free)
                if why:
                    problems["disk"] = why
            if self.nats_ready.is_set():
                try:
                    js = self.broker.connection.jetstream()
                    for running in self.services.values():
                        for consumer in running.consumers:
                            info = await js.consumer_info(STREAM, consumer.name)
                            self.metrics.consumer_lag.labels(
                                running.store.service, consumer.name).set(info.num_pending or 0)
                    bus_problems, figures = await flow.check_bus(js, STREAM, progress)
                    problems.update(bus_problems)
                    self.metrics.stream_full.set(int(figures["stream_full"]))
                    for name, stuck in figures["consumers_stalled"].items():
                        self.metrics.consumer_stalled.labels(name).set(int(stuck))
                except Exception as exc:  # noqa: BLE001 - NATS away: readiness says so already
                    log_event(log, "pemeriksaan aliran gagal", logging.DEBUG, error=repr(exc))
            self.flow_problems = problems
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), 5.0)

    def _largest_event(self, store: ServiceStore) -> int:
        """An event must pass the consumers' limit and the server's max_payload, with room
        for the headers (`Nats-Msg-Id`) that count towards it."""
        connection = self.broker._connection  # None until connected
        server_limit = getattr(connection, "max_payload", 0) or 0
        return min(store.max_event_bytes, server_limit - 1024) if server_limit else store.max_event_bytes

    def add_task(self, coroutine) -> None:
        """A loop of the runtime's owner, cancelled with the runtime's own on stop."""
        self._tasks.append(asyncio.create_task(coroutine))

    # --- state -------------------------------------------------------------------------------
    def readiness(self) -> dict[str, Any]:
        connection = self.broker._connection  # None until connected
        nats_ok = bool(self.nats_ready.is_set() and connection is not None and connection.is_connected)
        stores = {}
        for name, running in self.services.items():
            try:
                running.store.max_notification_id()
                stores[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                stores[name] = f"error: {exc}"
        companions = {name: check() for name, check in self.companions.items()}
        stuck = dict(self.flow_problems)
        for name, running in self.services.items():
            stalled = running.relay.stalled()
            self.metrics.outbox_stalled.labels(name).set(int(stalled is not None))
            if stalled:
                stuck[f"outbox:{name}"] = stalled
        ready = nats_ok and not stuck and all(
            v == "ok" for v in (*stores.values(), *companions.values()))
        reports = {}
        for running in self.services.values():
            reports.update(running.definition.reports(running.app))
        return {"ready": ready, "nats": "ok" if nats_ok else "disconnected", "stores": stores,
                "flow": stuck or "ok", **companions, **reports}

    def service(self, name: str) -> RunningService:
        return self.services[name]

    # --- stop --------------------------------------------------------------------------------
    async def stop(self) -> None:
        self.stop_event.set()
        if self._server is not None:  # let uvicorn finish its lifespan before anything is cancelled
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._server_task), 5.0)
        with contextlib.suppress(Exception):  # stops the subscribers, then the connection
            await asyncio.wait_for(self.broker.stop(), 5.0)
        for task in self._tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # In a worker thread: a store waits for the calls still in flight (cancelled tasks leave
        # their threads running), and those may need this event loop to finish (the guard).
        for running in self.services.values():
            await asyncio.to_thread(running.store.close)

    async def __aenter__(self) -> Runtime:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()
