"""Rebuilding a service's read models from the stream.

For each consumer that declares the tables it projects into: empty them, forget the consumer's
tracking, and delete its durable JetStream consumer; the service's next start creates the
consumer again from the first message and replays everything. Run it with the service stopped.
Only pure projections declare tables: replaying a consumer that also decides (sends mail,
reopens tickets) would decide again.

A consumer that declares a bulk projection (`ConsumerSpec.bulk`: desk's view) is rebuilt here
instead (`rebuild_in_bulk`): the stream is read a pull at a time while each pull's rows are
written with executemany, each ticket folded once, all in one transaction with the tracking
rows, and the durable consumer set to resume after the rebuilt point. The command reads the
stream in a child process (`streamproc.py`) while this one decodes, folds and writes. Memory
holds a few pulls and what the projection keeps (a bounded window), not the stream. That works
for a consumer that also decides, because only its projection is rebuilt (see `bulk_rebuild`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from nats.js.errors import NotFoundError

from ..schemas import STREAM
from .bus import COMPLETE_FROM, command_connection
from .service import ConsumerSpec
from .store import ServiceStore, Write

# `stream_batches` is looked up here when a rebuild runs, so that tests can replace it.
from .streamread import Progress, stream_batches


def reset_tables(store: ServiceStore, specs: list[ConsumerSpec]) -> list[str]:
    if not specs:
        return []
    tracking = store._tracking_table
    writes, names = [], []
    for spec in specs:
        writes += [Write(f"DELETE FROM {store.prefix}_{table}") for table in spec.rebuild_tables]
        writes.append(Write(f"DELETE FROM {tracking} WHERE application_name = ?", (spec.name,)))
        names.append(spec.name)
    store.execute(writes)
    return names


class StreamIncomplete(RuntimeError):
    """The stream no longer holds every event: a rebuild from it would miss the oldest."""


async def check_complete(js) -> int:
    """Refuse to rebuild from a stream whose oldest messages have left it (its max age, a
    purge): its first sequence is above the one it was complete from (`bus.COMPLETE_FROM`)."""
    info = await js.stream_info(STREAM)
    complete_from = int((info.config.metadata or {}).get(COMPLETE_FROM, 1))
    if info.state.last_seq and info.state.first_seq > complete_from:
        raise StreamIncomplete(
            f"stream {STREAM} tidak lagi memuat semua event (mulai urutan "
            f"{info.state.first_seq}, lengkap sejak {complete_from}: batas umur atau purge); "
            "jalankan dulu `lpse-helpdesk stream refill --purge` / the stream lost its oldest "
            "events: refill it first")
    return info.state.messages


async def delete_consumers(nats_url: str, names: list[str], tls=None) -> None:
    async with command_connection(nats_url, tls) as nc:
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_consumer(STREAM, name)
            except NotFoundError:
                pass


# --- bulk rebuild ------------------------------------------------------------------------------
# Replaying through the live consumer costs a fetch round trip, a savepoint, a tracking row, a
# history read and a re-fold of the ticket per event: about 3,000 events/s. The bulk path reads
# large batches, folds each ticket once, writes each table with executemany, in one transaction.


@dataclass
class BulkResult:
    replayed: int  # stream messages read
    projected: int  # events whose rows were rebuilt
    tracked: int  # tracking rows written (the live consumer skips these as duplicates)
    resume_at: int  # the stream sequence the live consumer starts from


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection while a rebuild reads and folds.

    Why: a rebuild allocates tens of thousands of containers (messages, events, rows), many of
    which live long (the projection's window), and makes almost no cycles (reference counting
    frees each pull's messages and rows), so every collection finds nothing to free, and a full
    collection walks the whole process's heap: measured in the bench, about 70 ms of a 460 ms rebuild of
    6,000 messages. Collection resumes afterwards (the state it was in is restored); the few
    cycles made meanwhile are collected then."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


PAGE_CACHE_KIB = 48 * 1024  # while a rebuild writes (100k tickets: 128 MB gained nothing)


@contextlib.contextmanager
def _page_cache(store: ServiceStore):
    """A large SQLite page cache on the rebuild's connection (the old size back afterwards):
    the timeline's two indexes (event id, ticket) take rows in random order, and with the default
    2 MB a rebuild of 100,000 tickets (indexes ~100 MB) reads pages back and writes each to the
    WAL many times. What is written, and when it is durable (the commit), stay as they were."""
    if store.is_postgres:
        yield
        return
    (before,), = store.query("PRAGMA cache_size")
    store.query(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    try:
        yield
    finally:
        store.query(f"PRAGMA cache_size = {int(before)}")


Chunk = list[tuple[int, str, bytes]]  # stream messages: (seq, subject, data)


def bulk_rebuild(store: ServiceStore, spec: ConsumerSpec, chunks: Iterable[Chunk],
                 max_body_bytes: int | None = None) -> BulkResult:
    """Rebuild `spec`'s read-model tables from `chunks` (the stream, in order, a pull at a
    time) in one transaction, and track the replayed sequences so the live consumer does not
    redo them. Each chunk is written before the next is taken, so memory holds a chunk and
    what the projection keeps (desk's: a bounded window of tickets), not the stream.

    Safe for a consumer that also decides (desk's reopen on a reporter's "not solved"):
    - the rebuild only writes projection rows; it never calls the handler's decision part;
    - a deciding event (`spec.decides`) the consumer had tracked before was decided then, and
      what it decided is an event in the service's store and on the stream, replayed here as
      rows like any other: nothing is decided twice;
    - a deciding event the consumer had NOT tracked yet (it stopped before reaching it) is left
      untracked, and the consumer is told to resume at the first such event (`resume_at`), so
      the live consumer decides it: nothing is skipped. Invalid messages not yet dead-lettered
      are left the same way. The projection's rows are idempotent upserts of the same values,
      so the live consumer handling those events again changes nothing else.
    Tracking rows already there are kept: a message handled before stays handled.
    """
    with _gc_paused(), store.one_transaction(), _page_cache(store):
        return _bulk_rebuild(store, spec, chunks, max_body_bytes)


def _bulk_rebuild(store: ServiceStore, spec: ConsumerSpec, chunks: Iterable[Chunk],
                  max_body_bytes: int | None) -> BulkResult:
    from ..schemas import InvalidEvent
    from .rebuilddecode import StreamDecoder

    decode = StreamDecoder().decode
    store.execute_many([(f"DELETE FROM {store.prefix}_{table}", [()])
                        for table in spec.rebuild_tables])
    projection = spec.bulk() if spec.bulk is not None else None
    track = (f"INSERT INTO {store.tracking_table} (application_name, notification_id)"
             " VALUES (?, ?) ON CONFLICT DO NOTHING")
    read = projected = tracked = 0
    first_left: int | None = None
    last_seq = 0
    for chunk in chunks:
        before = store.tracked_among(spec.name, [seq for seq, _, _ in chunk])
        replayed: list = []
        left: list[int] = []
        for seq, _subject, data in chunk:
            try:
                if max_body_bytes is not None and len(data) > max_body_bytes:
                    raise InvalidEvent("too large")
                event, wire = decode(data)
            except InvalidEvent:
                if seq not in before:
                    left.append(seq)
                continue
            replayed.append((seq, event, wire))
            if spec.decides is not None and seq not in before and spec.decides(event):
                left.append(seq)
        skip = set(left)
        tracking = [(spec.name, seq) for seq, _, _ in chunk if seq not in skip]
        if projection is not None:
            store.execute_many([*projection.add(replayed), (track, tracking)])
        else:  # a small projection (the FAQ's): its own handler, in stream order
            for seq, event, _wire in replayed:
                decision = spec.handler(event, seq)
                if decision.events:
                    raise RuntimeError(f"{spec.name} bukan proyeksi murni / not a pure projection")
                # In the rebuild's transaction (`record` would open its own on PostgreSQL).
                store.execute_many([(w.sql, [w.params]) for w in decision.writes])
            store.execute_many([(track, tracking)])
        read, projected, tracked = read + len(chunk), projected + len(replayed), tracked + len(tracking)
        if left and first_left is None:
            first_left = min(left)
        if chunk:
            last_seq = chunk[-1][0]
    if projection is not None:
        store.execute_many(projection.finish())
    resume_at = first_left if first_left is not None else last_seq + 1
    return BulkResult(read, projected, tracked, resume_at)


async def rebuild_from_stream(connection, store: ServiceStore, spec: ConsumerSpec,
                              max_body_bytes: int | None = None,
                              progress: Progress | None = None) -> BulkResult:
    """`bulk_rebuild` fed from the stream as it is read: the fold runs in a worker thread
    (the store blocks) while the next pull is read, and at most two pulls wait between them.
    If the read fails, the fold is rolled back: nothing of a partial rebuild is kept."""
    import asyncio

    from .subscription import subjects_of

    loop = asyncio.get_running_loop()
    handed: asyncio.Queue = asyncio.Queue(maxsize=2)

    def chunks() -> Iterator[Chunk]:
        while True:
            chunk = asyncio.run_coroutine_threadsafe(handed.get(), loop).result()
            if chunk is None:
                return
            if isinstance(chunk, BaseException):
                raise RuntimeError(  # noqa: TRY004 - the read failed, not a type
                    "membaca stream gagal / reading the stream failed") from chunk
            yield chunk

    fold = asyncio.ensure_future(asyncio.to_thread(bulk_rebuild, store, spec, chunks(),
                                                   max_body_bytes))

    async def hand(item) -> None:  # waits while the fold is behind, unless it has stopped
        put = asyncio.ensure_future(handed.put(item))
        await asyncio.wait({put, fold}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
            fold.result()  # the fold's own error
            raise RuntimeError("bangun ulang berhenti lebih awal / the rebuild stopped early")

    try:
        async for chunk in stream_batches(connection, subjects_of(spec.subject),
                                          progress=progress):
            await hand(chunk)
    except BaseException as exc:
        if not fold.done():
            await hand(exc)
        with contextlib.suppress(BaseException):
            await fold
        raise
    await hand(None)
    return await fold


async def reposition_consumer(connection, spec: ConsumerSpec, start_seq: int) -> None:
    """Make the durable consumer start at `start_seq` (after a bulk rebuild): deleted and
    created again with that start. Messages before it are all tracked (or were handled before),
    so even a consumer replaying from the first message would only skip them as duplicates."""
    from .subscription import consumer_config, subjects_of

    js = connection.jetstream()
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(STREAM, spec.name)
    await js.add_consumer(STREAM, config=consumer_config(spec.name, subjects_of(spec.subject),
                                                         start_seq))


APART_FROM = 50_000  # messages from which a child reads (its start costs about a second)


async def rebuild_in_bulk(store: ServiceStore, specs: list[ConsumerSpec], nats_url: str,
                          max_body_bytes: int | None = None,
                          progress: Callable[[str, int, int], None] | None = None,
                          tls=None) -> list[BulkResult]:
    """`lpse-helpdesk rebuild SERVICE` for consumers with a bulk projection (service stopped);
    `progress` hears (consumer, read, to read) as `stream_batches` reads. First, with or
    without such consumers, `check_complete`: nothing is emptied from an incomplete stream."""
    from .streamproc import read_apart
    from .subscription import subjects_of

    async with command_connection(nats_url, tls) as nc:
        messages = await check_complete(nc.jetstream())
        apart = tls is None and messages >= APART_FROM
        results = []
        for spec in specs:
            told = None if progress is None else (
                lambda read, total, name=spec.name: progress(name, read, total))
            if apart:  # the read in a process of its own (`streamproc.py`)
                result = await read_apart(nats_url, subjects_of(spec.subject), partial(
                    bulk_rebuild, store, spec, max_body_bytes=max_body_bytes), told)
            else:  # short, or with a TLS context (it does not cross to a process): read here
                result = await rebuild_from_stream(nc, store, spec, max_body_bytes, told)
            await reposition_consumer(nc, spec, result.resume_at)
            results.append(result)
        return results
