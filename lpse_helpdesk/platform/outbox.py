"""Transactional outbox relay: the service store's notification log -> JetStream.

Events are stored first (the store is the source of truth); this relay follows the store's
notification log and publishes each event on its subject with `Nats-Msg-Id` = event id, then
saves its position. A crash after publishing but before saving republishes at most one batch,
which JetStream drops as duplicates within its dedup window. While NATS is down the relay
retries with backoff and the events simply wait in the store.

An event that can never be published (larger than a bus message may be, or unreadable) is set
aside as a dead letter of the consumer `outbox`, with its reason, in the same transaction that
moves the position past it: the events behind it flow on, and staff see it and can republish it
(`lpse-helpdesk dead-letters replay`) once the limit allows.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from ..schemas import InvalidEvent, decode_event, subject_for
from ..schemas.codec import headers_for
from .observability import Metrics, log_event
from .store import ServiceStore, Write

log = logging.getLogger("lpse_helpdesk.outbox")

# (subject, body, msg_id, headers) -> duplicate? The headers name the event's ticket
# (`codec.headers_for`).
Publish = Callable[[str, bytes, str, dict], Awaitable[bool]]
# A batch at once, in order: [(subject, body, msg_id, headers)] -> duplicate? for each.
PublishBatch = Callable[[list[tuple[str, bytes, str, dict]]], Awaitable[list[bool]]]
SET_ASIDE = "outbox"  # the `consumer` of the dead letters the relay keeps
# A relay that has failed to move for this long (with events waiting) is reported by /ready.
STALLED_AFTER_S = 30.0


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
        max_bytes: Callable[[], int] | None = None,
    ):
        self.store, self.publish, self.metrics = store, publish, metrics
        # The largest event that may go out: the consumers' limit, or the connected server's
        # max_payload when that is smaller.
        self.max_bytes = max_bytes or (lambda: store.max_event_bytes)
        self.failing_since: float | None = None  # monotonic time of the first failed round
        self.last_error = ""
        # Pipelined publishing (runtime: `bus.publish_events`): the whole batch is written in
        # order and its acks awaited together, instead of one round trip per event.
        self.publish_batch = publish_batch
        self.batch_size, self.poll_interval = batch_size, poll_interval
        # Read each batch on the loop's thread (SQLite): a few queries and no commit. In a
        # worker thread each query waited for the GIL again (see `TrackedConsumer.inline`);
        # at 250 and 300 tickets/s offered, post -> received fell by a third or more
        # (docs/performance.md). Saving the position commits, which waits for the
        # disk, so that stays in a worker thread. Only for a store none of whose writers waits
        # for the loop while it writes: a read can queue behind a waiting writer there.
        self.inline_reads = inline_reads
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    # position -------------------------------------------------------------------------------
    def load_position(self) -> int:
        return published_position(self.store)

    def save_position(self, position: int, set_aside: tuple[Write, ...] = ()) -> None:
        self.store.execute([
            *set_aside,
            Write(
                f"INSERT INTO {self.store.prefix}_outbox_position (name, position) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (self.name, position),
            ),
        ])

    def sort_out(self, notification, limit: int):
        """(event, subject, None) for a stored event the bus can carry, or (None, subject,
        its set-aside write) for one it cannot: not a valid event, or over `limit` bytes. The
        relay and `stream refill` judge alike."""
        try:
            event = decode_event(notification.state)
        except InvalidEvent as exc:
            return None, "", self._set_aside(notification, "", f"event tidak valid: {exc}")
        subject = subject_for(event)
        if len(notification.state) > limit:
            return None, subject, self._set_aside(
                notification, subject, f"event terlalu besar untuk bus: "
                f"{len(notification.state)} byte > {limit} / too large for the bus")
        return event, subject, None

    def _set_aside(self, notification, subject: str, reason: str) -> Write:
        log_event(log, "event disisihkan dari outbox", logging.ERROR, service=self.store.service,
                  notification_id=notification.id, subject=subject, error=reason)
        if self.metrics is not None:
            self.metrics.dead_letters.labels(self.store.service, SET_ASIDE).inc()
        # A crash before the position is saved reads the event again: the key makes that a no-op.
        return Write(
            f"INSERT INTO {self.store.prefix}_dead_letters (consumer, stream_seq, subject, payload,"
            " error, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (consumer, stream_seq) DO NOTHING",
            (SET_ASIDE, notification.id, subject, base64.b64encode(notification.state).decode(),
             reason[:4000], 1, datetime.now(UTC).isoformat()),
        )

    def stalled(self) -> str | None:
        """For /ready: why the relay has not moved for a while, or None."""
        if self.failing_since is None or time.monotonic() - self.failing_since < STALLED_AFTER_S:
            return None
        return f"outbox macet {int(time.monotonic() - self.failing_since)} s: {self.last_error}"

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
        items, set_aside, limit = [], [], self.max_bytes()
        for notification in batch:
            event, subject, aside = self.sort_out(notification, limit)
            if aside is not None:
                set_aside.append(aside)
            else:
                items.append((subject, notification.state, str(event.event_id),
                              headers_for(event)))
        if not items:
            duplicates = []
        elif self.publish_batch is not None:
            duplicates = await self.publish_batch(items)
        else:
            duplicates = [await self.publish(*item) for item in items]
        if self.metrics is not None:
            self.metrics.events_out.labels(self.store.service).inc(len(items))
            self.metrics.publish_duplicates.labels(self.store.service).inc(sum(duplicates))
        await asyncio.to_thread(self.save_position, batch[-1].id, tuple(set_aside))
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
                delay, self.failing_since = 0.2, None
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - NATS down, timeout, DB busy: retry
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                self.last_error = repr(exc)[:300]
                log_event(log, "outbox gagal publish; dicoba lagi", logging.WARNING,
                          service=self.store.service, error=repr(exc), retry_in=delay)
                await self._sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if count < self.batch_size:
                await self._sleep(self.poll_interval)
