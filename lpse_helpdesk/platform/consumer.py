"""Tracked consumers: durable JetStream pull consumers whose decisions are recorded exactly once.

Each runs as a faststream batch pull subscriber on the process's broker (`subscription.py`),
which hands it a fetched batch, in stream order, in one call (`TrackedConsumer.on_batch`).

For each message: if its stream sequence is already tracked, ack and do nothing (a redelivery).
Otherwise the handler decides (new events and/or read-model rows) and the decision is stored
together with a tracking record for (consumer, stream sequence) in one transaction (a fetched
batch shares one transaction, with a savepoint and a tracking row per message). Two replicas
racing on one message: the tracking primary key lets only one commit. Acks are explicit; a
failing handler is retried with backoff (`nak(delay)`) up to `max_attempts`, then the message is
kept as a dead letter (stored with its tracking record) and acked: never silently dropped.
A message that is not a valid event is a dead letter at once: retrying cannot fix it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from nats.js.api import ConsumerConfig

from ..schemas import AnyTicketEvent, InvalidEvent, decode_event
from ..settings import Settings
from .observability import Metrics, log_event
from .store import IntegrityError, ServiceStore, Stored, Tracking, Write
from .subscription import consumer_config, ensure_consumer, subjects_of

log = logging.getLogger("lpse_helpdesk.consumer")


@dataclass
class Decision:
    """What a handler decided for one message: events to store and rows to write."""

    events: list[Stored] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)


# A handler gets the event and its stream sequence (a read model may order by it).
Handler = Callable[[AnyTicketEvent, int], Decision]


@dataclass
class TrackedConsumer:
    """A durable consumer `name` of `subject` (one NATS subject filter, or several), whose
    `handler` runs in a worker thread.

    A batch is decided in ONE worker-thread hop, strictly one message after the other, and
    stored in ONE transaction (`ServiceStore.batch`: a savepoint and a tracking row per
    message, one commit); acks are sent only after that commit. Trade-off: the batch holds the
    store's write lock, so a handler that waits (the decision guard's wait for an in-flight
    decision, at most its 5 s) also delays the service's other writers for that long."""

    name: str
    subject: str | Sequence[str]
    handler: Handler
    store: ServiceStore
    settings: Settings
    metrics: Metrics | None = None
    # Decide each batch on the event loop's own thread (the runtime sets it on SQLite only).
    # Why: in a busy process a worker thread waits for the GIL again after every SQLite call
    # it makes (each releases it), up to the interpreter's 5 ms switch interval each time. Triage in the front
    # measured 3.5 ms a message that way against 0.8 ms alone, and the lag to `classified`
    # was mostly that wait (docs/performance.md). On the loop's thread the batch runs
    # through, holding up HTTP for its length (about 1 ms a message), with no hand-offs.
    # Only for a handler that never waits for the loop (the decision guard does) or the network.
    inline: bool = False

    batch_size: int = 64
    _labelled: dict = field(default_factory=dict, init=False, repr=False)

    # --- wiring ------------------------------------------------------------------------------
    @property
    def subjects(self) -> list[str]:
        return subjects_of(self.subject)

    def consumer_config(self, start_seq: int | None = None) -> ConsumerConfig:
        return consumer_config(self.name, self.subjects, start_seq)

    async def ensure_consumer(self, js) -> None:
        """Create the durable consumer or update its filter (`subscription.ensure_consumer`)."""
        await ensure_consumer(js, self.name, self.subjects, self.store.service)

    async def on_batch(self, messages: list) -> None:
        """faststream's batch pull subscriber calls this with one fetch's messages, in stream
        order (`subscription.subscribe`). Each is acked, or nak'd with its backoff, only after
        the batch's commit; none is acked if the commit failed."""
        items = []
        for message in messages:
            meta = message.metadata
            items.append((message.subject, message.data, meta.sequence.stream,
                          meta.num_delivered))
        outcomes = await self.process_batch(items)
        for message, (subject, body, seq, attempt), outcome in zip(messages, items, outcomes):
            if outcome == "retry":
                await message.nak(delay=self.backoff(attempt))
            else:
                await message.ack()

    def backoff(self, attempt: int) -> float:
        s = self.settings
        return min(s.retry_base_delay * 2 ** (attempt - 1), s.retry_max_delay)

    # --- the decision ------------------------------------------------------------------------
    async def process(self, subject: str, body: bytes, seq: int, attempt: int) -> str:
        """Handle one delivery; returns the outcome: done, duplicate, retry or dead_letter."""
        return (await self.process_batch([(subject, body, seq, attempt)]))[0]

    async def process_batch(self, items: list[tuple[str, bytes, int, int]]) -> list[str]:
        """Handle deliveries in order, in one worker-thread hop (on the loop's thread when
        `inline`); returns an outcome each."""
        if self.inline:
            results = self._process_batch(items)
        else:
            results = await asyncio.to_thread(self._process_batch, items)
        for (subject, _, seq, attempt), (outcome, event, error, elapsed) in zip(items, results):
            if self.metrics is not None:
                counted, timed, dead = self._series(outcome)
                counted.inc()
                timed.observe(elapsed)
                if outcome == "dead_letter":
                    dead.inc()
            level = logging.INFO if outcome in ("done", "duplicate") else logging.WARNING
            if log.isEnabledFor(level):
                log_event(
                    log, "event ditangani", level, service=self.store.service,
                    consumer=self.name, seq=seq, attempt=attempt, outcome=outcome,
                    subject=subject, event=getattr(event, "tag", None),
                    ticket_id=getattr(event, "ticket_id", None), ms=round(elapsed * 1000, 2),
                    error=error,
                )
        return [r[0] for r in results]

    def _series(self, outcome: str) -> tuple:
        """This consumer's labelled metrics for `outcome`, looked up once: prometheus_client's
        `labels()` (a lock, a tuple, a dict) per message was a visible part of a batch."""
        series = self._labelled.get(outcome)
        if series is None:
            m, labels = self.metrics, (self.store.service, self.name)
            series = self._labelled[outcome] = (m.events_in.labels(*labels, outcome),
                                                m.handle_seconds.labels(*labels),
                                                m.dead_letters.labels(*labels))
        return series

    def _process_batch(self, items: list[tuple[str, bytes, int, int]]) -> list[tuple]:
        """One transaction for the batch (see `ServiceStore.batch`). A failed commit stores
        nothing of it, so every message of the batch is then retried (none was acked)."""
        results = []
        try:
            with self.store.batch():
                # One query for the batch's duplicates instead of one per message. Inside the
                # batch we hold the write lock, so no other writer can track one meanwhile.
                tracked = self.store.tracked_among(self.name, [item[2] for item in items])
                for subject, body, seq, attempt in items:
                    started = time.perf_counter()
                    outcome, event, error = self._process(subject, body, seq, attempt,
                                                          seq in tracked)
                    results.append((outcome, event, error, time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001 - the commit failed (disk, lock timeout)
            error = f"batch tidak tersimpan / batch not stored: {type(exc).__name__}: {exc}"
            return [("retry", None, error, 0.0) for _ in items]
        self._observe_lag(results)
        return results

    def _observe_lag(self, results: list[tuple]) -> None:
        """Seconds from each recorded event's `occurred_at` to the commit just made: how long
        people waited for what this consumer shows or decides (a clock moved by a test, or
        skew between machines, is taken as no wait rather than a negative one)."""
        if self.metrics is None:
            return
        committed = datetime.now(UTC)
        lag = self.metrics.event_lag.labels(self.store.service, self.name)
        for outcome, event, _, _ in results:
            if outcome == "done" and event is not None:
                at = event.occurred_at if event.occurred_at.tzinfo else \
                    event.occurred_at.replace(tzinfo=UTC)
                lag.observe(max(0.0, (committed - at).total_seconds()))

    def _process(self, subject: str, body: bytes, seq: int, attempt: int,
                 tracked: bool | None = None):
        if tracked if tracked is not None else self.store.is_tracked(self.name, seq):
            return "duplicate", None, None
        event = None
        try:
            if len(body) > self.settings.max_body_bytes:
                raise InvalidEvent(
                    f"pesan terlalu besar / message too large: {len(body)} byte > "
                    f"{self.settings.max_body_bytes}"
                )
            event = decode_event(body)
            decision = self.handler(event, seq)
            self.store.record(
                decision.events, tracking=Tracking(self.name, seq), writes=decision.writes
            )
            return "done", event, None
        except InvalidEvent as exc:
            return self._dead_letter(subject, body, seq, attempt, str(exc)), event, str(exc)
        except IntegrityError as exc:
            if self.store.is_tracked(self.name, seq):  # another replica recorded it first
                return "duplicate", event, None
            error = f"konflik penyimpanan / store conflict: {exc}"
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then kept
            error = f"{type(exc).__name__}: {exc}"
        if attempt >= self.settings.max_attempts:
            return self._dead_letter(subject, body, seq, attempt, error), event, error
        return "retry", event, error

    def _dead_letter(self, subject: str, body: bytes, seq: int, attempt: int, error: str) -> str:
        p = self.store.prefix
        row = Write(
            f"INSERT INTO {p}_dead_letters (consumer, stream_seq, subject, payload, error,"
            " attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.name, seq, subject, base64.b64encode(body).decode(), error[:4000], attempt,
             datetime.now(UTC).isoformat()),
        )
        try:
            self.store.record((), tracking=Tracking(self.name, seq), writes=[row])
        except IntegrityError:
            return "duplicate"
        return "dead_letter"
