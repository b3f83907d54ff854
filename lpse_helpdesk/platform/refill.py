"""Refilling the `TICKETS` stream from the service stores (`lpse-helpdesk stream refill`).

The stores, not the stream, are the source of truth (docs/production.md): after a lost or
damaged stream, or a database restored to an earlier point, every stored event of every service
is published again, as its relay would (the stored bytes unchanged, `Nats-Msg-Id` = event id).

- **Only into an empty stream.** A stream that still holds messages is refused unless `purge`.
  The stream is then deleted and made again, empty, with the configured limits (an empty one
  too: a purge would keep the duplicate window). Appending the events
  missing from a partial stream would put them after later ones of their tickets, and
  JetStream's duplicate window (10 minutes, kept across a purge) cannot tell what is there.
  So a refill is re-run as a whole (`--purge`), which always ends in the same stream.
- **Sequences above everything tracked.** Consumers track stream sequences; the new stream
  starts above the highest sequence any store tracked or the old stream used, so a tracking
  record of the old stream never matches a new message (each consumer handles the refilled
  events again under new sequences, and its decisions are idempotent by event id).
- **Order.** Each store's events go out in its own order (its notification log, the order they
  were committed); the stores are merged by the events' `occurred_at`, earlier first, and on
  equal times upstream services first (intake, triage, escalation, desk, notify, faq_publisher).
  A service decides on an event only after it has it, so its reaction is stamped later: per
  ticket the merged order is the order things happened, which is what the consumers' folds
  need. That assumes the services' clocks agree (NTP) within the time a reaction takes.
- **Outbox positions** are set to the last event refilled, so the relays go on after it
  instead of publishing those events again; events the bus cannot take (too large, unreadable)
  are set aside as the relay would (dead letters of `outbox`).

Run it with every service stopped.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from ..schemas import STREAM
from ..schemas.codec import headers_for, publish_headers
from .bus import COMPLETE_FROM
from .outbox import SET_ASIDE, OutboxRelay
from .store import ServiceStore, Write

PAGE = 1000  # notifications read at a time from each store; also the publish batch
IN_FLIGHT = 3  # batches written before the oldest one's acks are awaited


class RefillRefused(RuntimeError):
    """The stream cannot be refilled as asked; the text says why and what to do."""


class Item(NamedTuple):
    occurred_at: datetime
    notification_id: int
    subject: str
    body: bytes
    event_id: str
    headers: dict  # `codec.headers_for`: the ticket (FAQ entry) the event belongs to


@dataclass
class RefillResult:
    published: dict[str, int] = field(default_factory=dict)  # service -> events refilled
    set_aside: dict[str, int] = field(default_factory=dict)  # service -> events the bus refuses
    first_seq: int = 0
    last_seq: int = 0
    deleted_messages: int = 0  # what the purged stream held

    @property
    def total(self) -> int:
        return sum(self.published.values())


def highest_tracked(store: ServiceStore) -> int:
    """The highest stream sequence the store's consumers tracked or dead-lettered."""
    tracked = store.query(f"SELECT MAX(notification_id) FROM {store.tracking_table}")
    letters = store.query(f"SELECT MAX(stream_seq) FROM {store.prefix}_dead_letters"
                          " WHERE consumer <> ?", (SET_ASIDE,))
    return max(int(tracked[0][0] or 0), int(letters[0][0] or 0))


def store_events(store: ServiceStore, upto: int, limit: int, set_aside: list[Write]
                 ) -> Iterator[Item]:
    """The store's events up to notification `upto`, in its order, a page at a time; the ones
    the bus cannot take become `set_aside` writes (the relay's dead letters)."""
    relay = OutboxRelay(store, publish=None)  # type: ignore[arg-type] - only its set-aside rows
    after = 0
    while after < upto:
        page = store.notifications(after, PAGE)
        for notification in page:
            if notification.id > upto:
                return
            event, subject, aside = relay.sort_out(notification, limit)
            if aside is not None:
                set_aside.append(aside)
                continue
            yield Item(event.occurred_at, notification.id, subject, notification.state,
                       str(event.event_id), headers_for(event))
        if len(page) < PAGE:
            return
        after = page[-1].id


async def prepare_stream(js, config: StreamConfig, floor: int, purge: bool) -> int:
    """`TICKETS` made again, empty, its first sequence above `floor` and the old stream's last,
    marked complete from there (`bus.COMPLETE_FROM`); returns how many messages it held.
    Refused when the stream holds messages and `purge` is not given."""
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        info = None
    deleted = 0
    if info is not None and info.state.messages:
        if not purge:
            raise RefillRefused(
                f"stream {STREAM} masih berisi {info.state.messages} pesan; isi ulang hanya ke "
                "stream kosong: tambahkan --purge untuk menghapus dan membuatnya lagi / the "
                "stream is not empty: add --purge to delete and refill it")
        deleted = info.state.messages
    if info is not None:
        # Made again, not reused or purged: a purge keeps the duplicate window, which would
        # drop every event published in its last 10 minutes. Durable consumers go with it;
        # the services make theirs again when they start.
        floor = max(floor, info.state.last_seq)
        await js.delete_stream(STREAM)
    await js.add_stream(replace(config, first_seq=floor + 1 if floor else None,
                                metadata={**(config.metadata or {}),
                                          COMPLETE_FROM: str(floor + 1)}))
    return deleted


async def refill(connection, stores: dict[str, ServiceStore], config: StreamConfig,
                 purge: bool = False, limit: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> RefillResult:
    """Publish every stored event of `stores` (service -> store, in pipeline order) into an
    empty `TICKETS` (see the module's text); `progress` hears (published, about how many)."""
    js = connection.jetstream()
    limit = limit or min(connection.max_payload - 1024, *(s.max_event_bytes for s in stores.values()))
    floor = max((highest_tracked(store) for store in stores.values()), default=0)
    result = RefillResult(deleted_messages=await prepare_stream(js, config, floor, purge))
    ends = {name: store.max_notification_id() for name, store in stores.items()}
    aside: dict[str, list[Write]] = {name: [] for name in stores}
    streams = [_keyed(rank, name, store_events(store, ends[name], limit, aside[name]))
               for rank, (name, store) in enumerate(stores.items())]
    about, done = sum(ends.values()), 0
    result.published = dict.fromkeys(stores, 0)
    batch: list[tuple[str, Item]] = []
    # Up to IN_FLIGHT batches are written before the oldest one's acks are awaited: the store
    # is read while the server stores. One connection keeps them in the order written.
    inflight: list[tuple[list[tuple[str, Item]], asyncio.Future]] = []

    async def settle(keep: int) -> None:
        nonlocal done
        while len(inflight) > keep:
            sent, acks = inflight.pop(0)
            _check(sent, await asyncio.wait_for(acks, 60), result)
            done += len(sent)
            if progress is not None:
                progress(done, about)

    try:
        for _, _, name, item in heapq.merge(*streams):
            batch.append((name, item))
            if len(batch) >= PAGE:
                inflight.append((batch, await _send(js, batch)))
                batch = []
                await settle(IN_FLIGHT - 1)
        if batch:
            inflight.append((batch, await _send(js, batch)))
        await settle(0)
    except BaseException:
        for _, acks in inflight:
            acks.cancel()
        raise
    if progress is not None and not done:
        progress(done, about)
    for name, store in stores.items():
        relay = OutboxRelay(store, publish=None)  # type: ignore[arg-type]
        await asyncio.to_thread(relay.save_position, ends[name], tuple(aside[name]))
        result.set_aside[name] = len(aside[name])
    info = await js.stream_info(STREAM)
    result.first_seq, result.last_seq = info.state.first_seq, info.state.last_seq
    return result


def _keyed(rank: int, name: str, items: Iterator[Item]):
    """Items as (occurred_at, rank, name, item): `heapq.merge` orders by time, then upstream
    first, and never reorders one store's own items (it only ever takes a store's next one)."""
    for item in items:
        yield item.occurred_at, rank, name, item


async def _send(js, batch: list[tuple[str, Item]]) -> asyncio.Future:
    """Write one batch in order (as `bus.publish_events`); the future of all its acks."""
    futures = [await js.publish_async(item.subject, item.body, stream=STREAM,
                                      headers=publish_headers(item.event_id, item.headers))
               for _, item in batch]
    acks = asyncio.gather(*futures)
    # Read when cancelled or failed with nobody awaiting it: no "exception never retrieved".
    acks.add_done_callback(lambda done: done.cancelled() or done.exception())
    return acks


def _check(batch: list[tuple[str, Item]], acks: list, result: RefillResult) -> None:
    """A duplicate means the stream already had the event, which the stream made empty by
    `prepare_stream` cannot: the refill stops."""
    for (name, item), ack in zip(batch, acks):
        if ack.duplicate:
            raise RefillRefused(
                f"event {item.event_id} sudah ada di stream (jendela duplikat); ulangi dengan "
                "--purge / already in the stream: run again with --purge")
        result.published[name] += 1
