"""Tracked consumers: durable JetStream pull consumers whose decisions are recorded exactly once.

For each message: if its stream sequence is already tracked, ack and do nothing (a redelivery).
Otherwise the handler decides (new events and/or read-model rows) and the decision is stored
together with a tracking record for (consumer, stream sequence) in one transaction. Two replicas
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy

from ..schemas import STREAM, AnyTicketEvent, InvalidEvent, decode_event
from ..settings import Settings
from .observability import Metrics, log_event
from .store import IntegrityError, ServiceStore, Stored, Tracking, Write

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
    """A durable consumer `name` of `subject`, whose `handler` runs in a worker thread."""

    name: str
    subject: str
    handler: Handler
    store: ServiceStore
    settings: Settings
    metrics: Metrics | None = None

    # --- wiring ------------------------------------------------------------------------------
    def register(self, broker: NatsBroker) -> None:
        subscriber = broker.subscriber(
            self.subject,
            stream=JStream(STREAM, declare=False),
            durable=self.name,
            # One message per fetch: faststream runs a fetched batch as concurrent tasks, which
            # may reorder them (a replayed "merged" was seen applied before its "drafted").
            # It awaits each batch before the next fetch, so a batch of one keeps stream order.
            pull_sub=PullSub(batch_size=1, timeout=1.0),
            ack_policy=AckPolicy.MANUAL,  # never REJECT_ON_ERROR: it would drop the message
            config=ConsumerConfig(
                durable_name=self.name,
                ack_policy=JsAckPolicy.EXPLICIT,
                ack_wait=30,
                max_deliver=-1,  # we count attempts ourselves and dead-letter at the limit
                deliver_policy=DeliverPolicy.ALL,
                max_ack_pending=1000,
            ),
        )
        subscriber(self.on_message)

    async def on_message(self, message: NatsMessage) -> None:
        raw = message.raw_message
        meta = raw.metadata
        seq, attempt = meta.sequence.stream, meta.num_delivered
        outcome = await self.process(raw.subject, message.body, seq, attempt)
        if outcome == "retry":
            await message.nack(delay=self.backoff(attempt))
        else:
            await message.ack()

    def backoff(self, attempt: int) -> float:
        s = self.settings
        return min(s.retry_base_delay * 2 ** (attempt - 1), s.retry_max_delay)

    # --- the decision ------------------------------------------------------------------------
    async def process(self, subject: str, body: bytes, seq: int, attempt: int) -> str:
        """Handle one delivery; returns the outcome: done, duplicate, retry or dead_letter."""
        started = time.perf_counter()
        outcome, event, error = await asyncio.to_thread(self._process, subject, body, seq, attempt)
        elapsed = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.events_in.labels(self.store.service, self.name, outcome).inc()
            self.metrics.handle_seconds.labels(self.store.service, self.name).observe(elapsed)
            if outcome == "dead_letter":
                self.metrics.dead_letters.labels(self.store.service, self.name).inc()
        level = logging.INFO if outcome in ("done", "duplicate") else logging.WARNING
        log_event(
            log, "event ditangani", level, service=self.store.service, consumer=self.name,
            seq=seq, attempt=attempt, outcome=outcome, subject=subject,
            event=getattr(event, "tag", None), ticket_id=getattr(event, "ticket_id", None),
            ms=round(elapsed * 1000, 2), error=error,
        )
        return outcome

    def _process(self, subject: str, body: bytes, seq: int, attempt: int):
        if self.store.is_tracked(self.name, seq):
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
