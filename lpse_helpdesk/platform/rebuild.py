"""Rebuilding a service's read models from the stream.

For each consumer that declares the tables it projects into: empty them, forget the consumer's
tracking, and delete its durable JetStream consumer; the service's next start creates the
consumer again from the first message and replays everything. Run it with the service stopped.
Only pure projections declare tables: replaying a consumer that also decides (sends mail,
reopens tickets) would decide again.

A consumer that declares a bulk projection (`ConsumerSpec.bulk`: desk's view) is rebuilt here
instead (`rebuild_in_bulk`): the stream is read in large batches, each ticket folded once, the
rows written with executemany in one transaction with the tracking rows, and the durable
consumer set to resume after the rebuilt point. That works for a consumer that also decides,
because only its projection is rebuilt (see `bulk_rebuild`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from ..schemas import STREAM
from .bus import nats_servers
from .service import ConsumerSpec
from .store import ServiceStore, Write


def reset_tables(store: ServiceStore, specs: list[ConsumerSpec]) -> list[str]:
    if not specs:
        return []
    tracking = store._tracking_table  # noqa: SLF001 - the store owns that name
    writes, names = [], []
    for spec in specs:
        writes += [Write(f"DELETE FROM {store.prefix}_{table}") for table in spec.rebuild_tables]
        writes.append(Write(f"DELETE FROM {tracking} WHERE application_name = ?", (spec.name,)))
        names.append(spec.name)
    store.execute(writes)
    return names


async def delete_consumers(nats_url: str, names: list[str]) -> None:
    nc = await nats.connect(nats_servers(nats_url), connect_timeout=5)
    try:
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_consumer(STREAM, name)
            except NotFoundError:
                pass
    finally:
        await nc.close()


# --- bulk rebuild ------------------------------------------------------------------------------
# Replaying through the live consumer costs a fetch round trip, a savepoint, a tracking row, a
# history read and a whole re-fold of the ticket (state and SLA clocks) per event: about
# 3,000 events/s. The bulk path reads the stream in large batches, folds each ticket once, and
# writes each table with one executemany, in one transaction.


@dataclass
class BulkResult:
    replayed: int  # stream messages read
    projected: int  # events whose rows were rebuilt
    tracked: int  # tracking rows written (the live consumer skips these as duplicates)
    resume_at: int  # the stream sequence the live consumer starts from


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection while a rebuild reads and folds.

    Why: a rebuild allocates tens of thousands of containers (messages, events, rows) that all
    live until it ends, so every collection finds nothing to free, and a full collection
    walks the whole process's heap: measured in the bench, about 70 ms of a 460 ms rebuild of
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


def _stream_position(reply: str) -> tuple[int, int, int]:
    """(stream sequence, consumer sequence, pending) from a JetStream message's reply subject:
    `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`, or the form with
    domain and account hash (`$JS.ACK.<domain>.<hash>.<stream>...`, 12 or more tokens)."""
    tokens = reply.split(".")
    if len(tokens) == 9:
        return int(tokens[5]), int(tokens[6]), int(tokens[8])
    if len(tokens) >= 12:
        return int(tokens[7]), int(tokens[8]), int(tokens[10])
    raise ValueError(f"not a JetStream reply subject: {reply!r}")


async def read_stream(connection, subjects: list[str], batch: int = 5000,
                      timeout: float = 10.0) -> list[tuple[int, str, bytes]]:
    with _gc_paused():
        return await _read_stream(connection, subjects, batch, timeout)


async def _read_stream(connection, subjects: list[str], batch: int,
                       timeout: float) -> list[tuple[int, str, bytes]]:
    """`read_stream`: every message of `TICKETS` on `subjects`, in stream order, as (seq, subject, data):
    an ephemeral pull consumer without acks, `batch` messages a pull request, up to the last
    message that matched when the consumer was created (its `num_pending` then).

    Why not nats-py's `fetch`: it awaits every message through `next_msg`, a task and a
    `wait_for` each, about 50 µs a message and more than half of the rebuild's time. Here the
    pull requests go by hand to an inbox whose callback only appends, and the next request is
    sent when the previous one is complete. A message lost on the way (a slow-consumer drop)
    would leave a gap in the consumer sequence: that is checked, and it fails the read rather
    than rebuild without it."""
    import asyncio
    import json

    js = connection.jetstream()
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60,
        mem_storage=True, filter_subject=subjects[0] if len(subjects) == 1 else None,
        filter_subjects=subjects if len(subjects) > 1 else None)
    info = await js.add_consumer(STREAM, config)
    total = info.num_pending  # what matched when the read began
    out: list[tuple[int, str, bytes]] = []
    if not total:  # a pull would only wait for its expiry
        await _forget_consumer(connection, info.name)
        return out
    loop = asyncio.get_running_loop()
    state = {"cseq": 0, "in_request": 0}
    request_done: asyncio.Future = loop.create_future()

    def finish_request(error: BaseException | None = None) -> None:
        if not request_done.done():
            if error is None:
                request_done.set_result(None)
            else:
                request_done.set_exception(error)

    async def on_message(message) -> None:
        if not message.reply:  # a status: 404 no messages or 408 expired ends the request
            status = (message.headers or {}).get("Status")
            if status in ("404", "408"):
                finish_request()
            else:
                description = (message.headers or {}).get("Description", "")
                finish_request(RuntimeError(f"pull request gagal / failed: {status} {description}"))
            return
        if len(out) >= total:  # matched after the read began
            finish_request()
            return
        seq, cseq, pending = _stream_position(message.reply)
        if cseq != state["cseq"] + 1:
            finish_request(RuntimeError(
                "pesan stream hilang saat dibaca / message lost while reading the stream"
                f" (consumer seq {cseq}, expected {state['cseq'] + 1})"))
            return
        state["cseq"] = cseq
        state["in_request"] += 1
        out.append((seq, message.subject, message.data))
        if len(out) >= total or pending == 0 or state["in_request"] >= batch:
            finish_request()

    inbox = connection.new_inbox()
    subscription = await connection.subscribe(inbox, cb=on_message)
    next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{info.name}"
    request = json.dumps({"batch": batch, "expires": int(timeout * 1e9)}).encode()
    try:
        while len(out) < total:
            state["in_request"] = 0
            request_done = loop.create_future()
            await connection.publish(next_subject, request, reply=inbox)
            await asyncio.wait_for(request_done, timeout + 5)
            if not state["in_request"]:  # expired without a message: nothing more matches
                break
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        await _forget_consumer(connection, info.name)
    return out


async def _forget_consumer(connection, name: str) -> None:
    """Delete the ephemeral consumer without waiting for the reply (it also expires by itself
    after `inactive_threshold`): one round trip less per read."""
    with contextlib.suppress(Exception):
        await connection.publish(f"$JS.API.CONSUMER.DELETE.{STREAM}.{name}", b"")


def bulk_rebuild(store: ServiceStore, spec: ConsumerSpec, messages: list[tuple[int, str, bytes]],
                 max_body_bytes: int | None = None) -> BulkResult:
    """Rebuild `spec`'s read-model tables from `messages` (the stream, in order) in one
    transaction, and track the replayed sequences so the live consumer does not redo them.

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
    with _gc_paused():
        return _bulk_rebuild(store, spec, messages, max_body_bytes)


def _bulk_rebuild(store: ServiceStore, spec: ConsumerSpec, messages: list[tuple[int, str, bytes]],
                  max_body_bytes: int | None) -> BulkResult:
    from ..schemas import InvalidEvent, decode_event

    before = store.tracked(spec.name)
    replayed: list = []
    left: list[int] = []
    for seq, _subject, data in messages:
        try:
            if max_body_bytes is not None and len(data) > max_body_bytes:
                raise InvalidEvent("too large")
            event = decode_event(data)
        except InvalidEvent:
            if seq not in before:
                left.append(seq)
            continue
        replayed.append((seq, event))
        if spec.decides is not None and seq not in before and spec.decides(event):
            left.append(seq)
    skip = set(left)
    tracking = [(spec.name, seq) for seq, _, _ in messages if seq not in skip]
    empty = [(f"DELETE FROM {store.prefix}_{table}", [()]) for table in spec.rebuild_tables]
    track = (f"INSERT INTO {store.tracking_table} (application_name, notification_id)"
             " VALUES (?, ?) ON CONFLICT DO NOTHING", tracking)
    if spec.bulk is not None:
        store.execute_many([*empty, *spec.bulk(replayed), track])
    else:  # a small projection (the FAQ's): its own handler, in stream order, one transaction
        with store.batch():
            store.execute_many(empty)
            for seq, event in replayed:
                decision = spec.handler(event, seq)
                if decision.events:
                    raise RuntimeError(f"{spec.name} bukan proyeksi murni / not a pure projection")
                store.execute(decision.writes)
            store.execute_many([track])
    resume_at = min(left) if left else (messages[-1][0] + 1 if messages else 1)
    return BulkResult(len(messages), len(replayed), len(tracking), resume_at)


async def reposition_consumer(connection, spec: ConsumerSpec, start_seq: int) -> None:
    """Make the durable consumer start at `start_seq` (after a bulk rebuild): deleted and
    created again with that start. Messages before it are all tracked (or were handled before),
    so even a consumer replaying from the first message would only skip them as duplicates."""
    from .consumer import consumer_config, subjects_of

    js = connection.jetstream()
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(STREAM, spec.name)
    await js.add_consumer(STREAM, config=consumer_config(spec.name, subjects_of(spec.subject),
                                                         start_seq))


async def rebuild_in_bulk(store: ServiceStore, specs: list[ConsumerSpec], nats_url: str,
                          max_body_bytes: int | None = None) -> list[BulkResult]:
    """`lpse-helpdesk rebuild SERVICE` for consumers with a bulk projection (service stopped)."""
    import asyncio

    nc = await nats.connect(nats_servers(nats_url), connect_timeout=5)
    try:
        results = []
        for spec in specs:
            from .consumer import subjects_of

            messages = await read_stream(nc, subjects_of(spec.subject))
            result = await asyncio.to_thread(bulk_rebuild, store, spec, messages, max_body_bytes)
            await reposition_consumer(nc, spec, result.resume_at)
            results.append(result)
        return results
    finally:
        await nc.close()
