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
# A batch at once, in order: [(subject, body, msg_id)] -> duplicate? for each.
PublishBatch = Callable[[list[tuple[str, bytes, str]]], Awaitable[list[bool]]]


def published_position(store: ServiceStore) -> int:
    """The last of the store's notifications the relay has published (and the stream acked)."""
    rows = store.query(
        f"SELECT position FROM {store.prefix}_outbox_position WHERE name = ?", (OutboxRelay.name,))
    return int(rows[0][0]) if rows else 0


class OutboxRelay:
    name = "outbox"

    def __init__(
        self,
        store: ServiceStore,
        publish: Publish,
        metrics: Metrics | None = None,
        batch_size: int = 256,
        poll_interval: float = 0.5,
        publish_batch: PublishBatch | None = None,
        inline_reads: bool = False,
    ):
        self.store, self.publish, self.metrics = store, publish, metrics
        # Pipelined publishing (runtime: `bus.publish_events`): the whole batch is written in
        # order and its acks awaited together, instead of one round trip per event.
        self.publish_batch = publish_batch
        self.batch_size, self.poll_interval = batch_size, poll_interval
        # Read each batch on the loop's thread (SQLite): a few queries and no commit. In a
        # worker thread each query waited for the GIL again (see `TrackedConsumer.inline`);
        # at 250 and 300 tickets/s offered, post -> received fell by a third or more
        # (docs/performance.md, part 6). Saving the position commits, which waits for the
        # disk, so that stays in a worker thread. Only for a store none of whose writers waits
        # for the loop while it writes: a read can queue behind a waiting writer there.
        self.inline_reads = inline_reads
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    # position -------------------------------------------------------------------------------
    def load_position(self) -> int:
        return published_position(self.store)

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
        if self.inline_reads:
            position, batch, last = self._read_batch()
        else:
            position, batch, last = await asyncio.to_thread(self._read_batch)
        if self.metrics is not None:
            self.metrics.outbox_lag.labels(self.store.service).set(last - position)
        if not batch:
            return 0
        items = []
        for notification in batch:
            try:
                event = decode_event(notification.state)
            except InvalidEvent as exc:  # cannot happen for our own writes; never block the log
                log_event(log, "event tersimpan tidak valid dilewati", logging.ERROR,
                          service=self.store.service, notification_id=notification.id,
                          error=str(exc))
                continue
            items.append((subject_for(event), notification.state, str(event.event_id)))
        if self.publish_batch is not None:
            duplicates = await self.publish_batch(items)
        else:
            duplicates = [await self.publish(*item) for item in items]
        if self.metrics is not None:
            self.metrics.events_out.labels(self.store.service).inc(len(items))
            self.metrics.publish_duplicates.labels(self.store.service).inc(sum(duplicates))
        await asyncio.to_thread(self.save_position, batch[-1].id)
        return len(batch)

    def _read_batch(self):
        """Position, the batch after it and the log's end: one worker-thread hop, not three."""
        position = self.load_position()
        batch = self.store.notifications(position, self.batch_size)
        last = batch[-1].id if batch else position
        if len(batch) == self.batch_size:  # only a full batch may leave more behind it
            last = self.store.max_notification_id()
        return position, batch, last

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
