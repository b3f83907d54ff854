"""Transactional outbox relay: the service store's notification log -> JetStream.

Events are stored first (the store is the source of truth); this relay follows the store's
notification log and publishes each event on its subject with `Nats-Msg-Id` = event id, then
saves its position. A crash after publishing but before saving republishes at most one batch,
which JetStream drops as duplicates within its dedup window. While NATS is down the relay
retries with backoff and the events simply wait in the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ..schemas import InvalidEvent, decode_event, subject_for
from .observability import Metrics, log_event
from .store import ServiceStore, Write

log = logging.getLogger("lpse_helpdesk.outbox")

Publish = Callable[[str, bytes, str], Awaitable[bool]]  # (subject, body, msg_id) -> duplicate?


class OutboxRelay:
    name = "outbox"

    def __init__(
        self,
        store: ServiceStore,
        publish: Publish,
        metrics: Metrics | None = None,
        batch_size: int = 256,
        poll_interval: float = 0.5,
    ):
        self.store, self.publish, self.metrics = store, publish, metrics
        self.batch_size, self.poll_interval = batch_size, poll_interval
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    # position -------------------------------------------------------------------------------
    def load_position(self) -> int:
        rows = self.store.query(
            f"SELECT position FROM {self.store.prefix}_outbox_position WHERE name = ?", (self.name,)
        )
        return int(rows[0][0]) if rows else 0

    def save_position(self, position: int) -> None:
        self.store.execute([
            Write(
                f"INSERT INTO {self.store.prefix}_outbox_position (name, position) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (self.name, position),
            )
        ])

    # waking ---------------------------------------------------------------------------------
    def wake(self) -> None:
        """Called after a store write, possibly from a worker thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    # work -----------------------------------------------------------------------------------
    async def publish_pending(self) -> int:
        """Publish one batch after the saved position; returns how many were published."""
        position = await asyncio.to_thread(self.load_position)
        batch = await asyncio.to_thread(self.store.notifications, position, self.batch_size)
        if self.metrics is not None:
            lag = await asyncio.to_thread(self.store.max_notification_id)
            self.metrics.outbox_lag.labels(self.store.service).set(lag - position)
        if not batch:
            return 0
        for notification in batch:
            try:
                event = decode_event(notification.state)
            except InvalidEvent as exc:  # cannot happen for our own writes; never block the log
                log_event(log, "event tersimpan tidak valid dilewati", logging.ERROR,
                          service=self.store.service, notification_id=notification.id,
                          error=str(exc))
                continue
            duplicate = await self.publish(
                subject_for(event), notification.state, str(event.event_id)
            )
            if self.metrics is not None:
                self.metrics.events_out.labels(self.store.service).inc()
                if duplicate:
                    self.metrics.publish_duplicates.labels(self.store.service).inc()
        await asyncio.to_thread(self.save_position, batch[-1].id)
        return len(batch)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        delay = 0.2
        while not stop.is_set():
            try:
                count = await self.publish_pending()
                delay = 0.2
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - NATS down, timeout, DB busy: retry
                log_event(log, "outbox gagal publish; dicoba lagi", logging.WARNING,
                          service=self.store.service, error=repr(exc), retry_in=delay)
                await self._sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if count < self.batch_size:
                await self._sleep(self.poll_interval)
