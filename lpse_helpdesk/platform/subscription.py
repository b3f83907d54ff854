"""A tracked consumer on the process's faststream broker: its durable JetStream pull consumer
and the batch pull subscriber that hands each fetched batch to one handler call.

faststream's batch pull subscriber (`PullSub(batch=True)`) fetches from the durable consumer and
calls the handler once with the fetched messages as a list, in stream order. The tracked
consumer (`consumer.py`) decides them one after the other, stores the batch in one transaction
and acks after its commit: the subscriber runs with `AckPolicy.MANUAL`, so faststream acks
nothing itself. (Its per-message pull subscriber runs a fetched batch as concurrent tasks, which
reorders them: a replayed "merged" was seen applied before its "drafted".)

Only the subscriber's fetch loop is replaced (`InOrderBatches._consume_pull`), for what
faststream 0.7.8's loop does (its `stream_pull_subscriber.py`):
- it keeps fetching until the batch is full or `PullSub.timeout` has passed, so a message that
  arrives alone waits the whole timeout, at every consumer a ticket passes through. Here a batch
  is what one fetch returns: what is waiting (up to `batch_size`), else the first to arrive.
- when the durable consumer is gone (deleted by an operator, or by `rebuild` while a process
  still runs), a pull gets NATS' "no responders": nats-py's fetch raises
  `ServiceUnavailableError`, which faststream's loop swallows and fetches again, at once, for
  ever; or it returns an empty list, as for a pull that merely expired. Neither loop ever
  creates the consumer again. Here both make it again if it is gone (`ensure_consumer`; an
  empty answer at most every `CHECK_EVERY_S`), and a fetch error backs off, where faststream's
  task would end and its supervisor restart it at once.
The rest (subscribing, parsing, calling the handler, stopping, `TestNatsBroker`) is faststream's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from faststream import AckPolicy
from faststream.nats import JStream, PullSub
from faststream.nats.subscriber.usecases import BatchPullStreamSubscriber
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError, ServiceUnavailableError

from ..schemas import STREAM
from .observability import log_event

if TYPE_CHECKING:
    from faststream.nats import NatsBroker

log = logging.getLogger("lpse_helpdesk.consumer")

FETCH_TIMEOUT_S = 1.0  # how long one fetch waits when nothing is waiting (a lingering pull)
CHECK_EVERY_S = 5.0  # how often an idle consumer checks that its durable consumer still exists


class Subscribed(Protocol):
    """What the subscriber needs of the consumer it feeds (`consumer.TrackedConsumer`), so that
    this module does not import that one back."""

    name: str
    batch_size: int
    store: Any  # its `service` names the consumer's service in the logs

    @property
    def subjects(self) -> list[str]: ...
    def consumer_config(self, start_seq: int | None = None) -> ConsumerConfig: ...
    async def ensure_consumer(self, js: Any) -> None: ...
    async def on_batch(self, messages: list) -> None: ...


def subjects_of(subject: str | Sequence[str]) -> list[str]:
    return [subject] if isinstance(subject, str) else list(subject)


def consumer_config(name: str, subjects: Sequence[str],
                    start_seq: int | None = None) -> ConsumerConfig:
    """A tracked consumer's durable config. Several subjects use `filter_subjects` (NATS
    >= 2.10; the embedded nats-server is 2.15), still delivered in stream order. `start_seq`:
    begin there instead of at the first message (set by a bulk `rebuild`)."""
    subjects = list(subjects)
    return ConsumerConfig(
        name=name,
        durable_name=name,
        ack_policy=JsAckPolicy.EXPLICIT,
        ack_wait=30,
        max_deliver=-1,  # the tracked consumer counts attempts and dead-letters at the limit
        deliver_policy=DeliverPolicy.ALL if start_seq is None else DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start_seq,
        max_ack_pending=1000,
        filter_subject=subjects[0] if len(subjects) == 1 else None,
        filter_subjects=subjects if len(subjects) > 1 else None,
    )


async def ensure_consumer(js, name: str, subjects: Sequence[str], service: str = "") -> None:
    """Create the durable consumer, or bring an existing one's filter up to date.

    A release may narrow what a consumer receives (each consumer gets only the event types its
    handler acts on). JetStream (>= 2.10) updates a durable consumer's filter in place when it
    is created again under its name with the new filter and otherwise the same settings; its
    position (delivered / ack floor) is kept. So the existing config is reused (including a
    `rebuild`'s start sequence) with only the filter replaced.
    Narrowing is safe: messages no longer matched were of no use to the handler. Widening is
    not a replay: messages before the consumer's position that only the new filter matches are
    never delivered; a consumer whose filter grows must be rebuilt or reset (`rebuild`, or
    delete the durable consumer and let its tracking rows skip duplicates).
    """
    wanted = sorted(subjects)
    try:
        info = await js.consumer_info(STREAM, name)
    except NotFoundError:
        await js.add_consumer(STREAM, config=consumer_config(name, subjects))
        return
    config = info.config
    current = sorted(config.filter_subjects or
                     ([config.filter_subject] if config.filter_subject else []))
    if current == wanted:
        return
    if len(wanted) == 1:
        config.filter_subject, config.filter_subjects = wanted[0], None
    else:
        config.filter_subject, config.filter_subjects = None, wanted
    config.name = config.durable_name = name
    await js.add_consumer(STREAM, config=config)
    log_event(log, "filter subjek consumer diperbarui", service=service, consumer=name,
              before=current, after=wanted)


class InOrderBatches(BatchPullStreamSubscriber):
    """faststream's batch pull subscriber with the fetch loop described in the module's
    docstring. `tracked` (set by `subscribe`) is the consumer it feeds."""

    __slots__ = ()

    async def _consume_pull(self) -> None:
        tracked: Subscribed = self.tracked  # type: ignore[attr-defined]
        delay, checked = 0.2, time.monotonic()
        while self.running:
            try:
                if self.subscription is None:  # the durable consumer was gone: made again
                    await tracked.ensure_consumer(self.jetstream)
                    self.subscription = await self.jetstream.pull_subscribe(
                        subject=self.subject.broker_address, config=self.config,
                        **self.extra_options)
                try:
                    messages = await self.subscription.fetch(
                        self.pull_sub.batch_size, timeout=self.pull_sub.timeout)
                except TimeoutError:  # nothing waiting (nats' TimeoutError is one too)
                    continue
                if not messages:
                    # A pull that expired (the server's 408) or found no consumer to answer it
                    # (deleted: NATS' "no responders") both come back empty after the timeout,
                    # so at most every CHECK_EVERY_S the consumer is made again if it is gone;
                    # the subscription binds by name, so it serves the new one too. No pause
                    # here: an idle consumer must take the next message at once.
                    if time.monotonic() - checked >= CHECK_EVERY_S:
                        await tracked.ensure_consumer(self.jetstream)
                        checked = time.monotonic()
                    continue
                if self.running:
                    await self.consume(messages)
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS reconnecting, consumer deleted
                log_event(log, "consumer gagal mengambil pesan; dicoba lagi", logging.WARNING,
                          service=tracked.store.service, consumer=tracked.name,
                          error=repr(exc), retry_in=delay)
                if isinstance(exc, ServiceUnavailableError):  # "no responders": gone?
                    with contextlib.suppress(Exception):
                        await tracked.ensure_consumer(self.jetstream)
                elif self.subscription is not None and isinstance(exc, NotFoundError):
                    with contextlib.suppress(Exception):
                        await self.subscription.unsubscribe()
                    self.subscription = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


async def _raw_batch(message) -> list:
    """The handler gets nats-py's messages themselves: it needs their stream sequence and
    delivery count and acks each; decoding is the tracked consumer's (msgspec)."""
    return message.raw_message


def subscribe(broker: NatsBroker, consumer: Subscribed) -> BatchPullStreamSubscriber:
    """Register `consumer` on `broker` as a batch pull subscriber of its durable consumer.
    The durable consumer itself is made (or its filter updated) by `consumer.ensure_consumer`
    before the broker starts: faststream's subscribe only binds to an existing one."""
    subjects = consumer.subjects
    subscriber = broker.subscriber(
        subjects[0] if len(subjects) == 1 else "",  # several: the config's filter_subjects
        stream=JStream(STREAM, declare=False),  # the runtime declares it (`bus.ensure_stream`)
        durable=consumer.name,
        config=consumer.consumer_config(),
        pull_sub=PullSub(consumer.batch_size, timeout=FETCH_TIMEOUT_S, batch=True),
        ack_policy=AckPolicy.MANUAL,
        no_reply=True,
        decoder=_raw_batch,
        include_in_schema=False,
    )
    # The class of the object faststream built, swapped for the subclass above (same slots,
    # only `_consume_pull` differs): its factory has no way to name a subscriber class.
    subscriber.__class__ = InOrderBatches
    subscriber.tracked = consumer
    subscriber(consumer.on_batch)
    return subscriber
