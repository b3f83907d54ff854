"""The NATS side: one faststream broker per process, the TICKETS stream, publishing.

The broker reconnects forever: a helpdesk must ride out a NATS restart, not give up after
faststream's default of 60 attempts. `HELPDESK_NATS_URL` may name every node of a cluster,
separated by commas; the client then fails over between them.

On a cluster, `Settings.stream_replicas` (3) makes JetStream keep that many copies of the
TICKETS stream, the TICKET_DECISIONS bucket and the ATTACHMENTS object store, so losing one
node loses neither events nor decisions. All three are created (or brought to that replica
count) here, when a process connects, before the process counts as connected; the services
only open them (`natsclient.jetstream`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import weakref
from pathlib import Path

from faststream.nats import NatsBroker
from faststream.security import BaseSecurity
from nats.js.api import (
    DiscardPolicy,
    KeyValueConfig,
    ObjectStoreConfig,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError

from ..schemas import STREAM, STREAM_SUBJECTS
from ..schemas.codec import publish_headers
from ..workflow.guard import BUCKET as DECISIONS_BUCKET
from ..workflow.guard import DECISIONS_TTL_S
from .attachments import BUCKET as ATTACHMENTS_BUCKET
from .revocations import BUCKET as REVOCATIONS_BUCKET
from .revocations import ensure_bucket as ensure_revocations_bucket

log = logging.getLogger("lpse_helpdesk.bus")

# Msg-Id dedup window: a relay that crashed between publishing and saving its position
# republishes at most one batch on restart, seconds later; ten minutes is a wide margin.
DUPLICATE_WINDOW_S = 600.0
# The stream's metadata key naming the first sequence from which it held every stored event
# (set by `stream refill`; absent: 1). A first message above it means messages left the stream
# (max age, a purge): a rebuild from it would miss them (`rebuild.check_complete`).
COMPLETE_FROM = "lpse_helpdesk.complete_from"


def nats_servers(nats_url: str) -> list[str]:
    """`nats://a:4222,nats://b:4222` as the list of servers nats-py expects."""
    return [url.strip() for url in nats_url.split(",") if url.strip()]


def tls_for(ca_file: Path | None) -> ssl.SSLContext | None:
    """The TLS context of `tls://` connections to a cluster with its own CA."""
    return ssl.create_default_context(cafile=str(ca_file)) if ca_file else None


def make_broker(nats_url: str, ca_file: Path | None = None) -> NatsBroker:
    return _broker(nats_url, tls_for(ca_file), max_reconnect_attempts=-1,
                   reconnect_time_wait=1, connect_timeout=2)


def _broker(nats_url: str, tls: ssl.SSLContext | None, **options) -> NatsBroker:
    return NatsBroker(
        nats_servers(nats_url),
        # faststream hands the context to nats-py's `tls`.
        security=BaseSecurity(ssl_context=tls) if tls else None,
        logger=None,  # we log one structured line per handled event ourselves
        **options,
    )


@contextlib.asynccontextmanager
async def command_connection(nats_url: str, tls: ssl.SSLContext | None = None,
                             timeout: float = 5.0):
    """The NATS connection of an operator command (`rebuild`, `users disable`, `dead-letters
    replay`; `natsonce.py`), from a faststream broker like the runtime's but without
    reconnects: an unreachable NATS fails within `timeout`, said once by the command."""
    async def failed(_error) -> None:  # said once, by the caller, not by nats-py's logger
        pass

    broker = _broker(nats_url, tls, connect_timeout=timeout, allow_reconnect=False,
                     max_reconnect_attempts=1, reconnect_time_wait=0.2, error_cb=failed)
    try:
        # nats-py keeps trying a refused server however reconnects are set: the deadline ends it.
        yield await asyncio.wait_for(broker.connect(), timeout)
    finally:
        with contextlib.suppress(Exception):
            await broker.stop()


def stream_config(replicas: int = 1, max_age_days: float = 30.0,
                  max_bytes: int = 0) -> StreamConfig:
    """TICKETS as the services make it. Messages older than `max_age_days` (0: none) leave
    the stream; the stores keep them and `stream refill` brings them back. The age must stay
    far above any consumer's lag: /ready reports a consumer stalled after 2 minutes. At
    `max_bytes` (0: no cap) the stream refuses new messages (`discard: new`), never drops
    ones a consumer has not read: the outboxes wait and /ready says "stream penuh"."""
    max_age = max_age_days * 86400 if max_age_days else None
    return StreamConfig(
        name=STREAM,
        subjects=list(STREAM_SUBJECTS),
        storage=StorageType.FILE,
        # JetStream refuses a duplicate window longer than the max age.
        duplicate_window=min(DUPLICATE_WINDOW_S, max_age or DUPLICATE_WINDOW_S),
        num_replicas=replicas,
        max_age=max_age,
        max_bytes=max_bytes or None,
        discard=DiscardPolicy.NEW,
    )


async def ensure_stream(broker: NatsBroker, replicas: int = 1, max_age_days: float = 30.0,
                        max_bytes: int = 0) -> None:
    js = broker.connection.jetstream()
    config = stream_config(replicas, max_age_days, max_bytes)
    try:
        await js.add_stream(config)
    except BadRequestError:  # exists with other settings: bring it to ours
        # Keeping its metadata: `COMPLETE_FROM`, set by a refill, and the server's own.
        existing = (await js.stream_info(STREAM)).config
        config.metadata = {**(existing.metadata or {}), **(config.metadata or {})}
        await js.update_stream(config)


async def ensure_buckets(broker: NatsBroker, replicas: int = 1,
                         attachments_max_bytes: int = -1,
                         decisions_ttl: float = DECISIONS_TTL_S) -> None:
    """The key-value buckets of workflow decisions and of revoked staff tokens, and the
    attachments' object store, with `replicas` copies, the store capped at
    `attachments_max_bytes`, a decision kept `decisions_ttl` seconds (`workflow/guard.py`).
    An existing one keeps its data and only changes its replica count, cap and max age."""
    js = broker.connection.jetstream()
    try:
        await js.key_value(DECISIONS_BUCKET)
    except BucketNotFoundError:
        await js.create_key_value(KeyValueConfig(
            bucket=DECISIONS_BUCKET, history=1, storage=StorageType.FILE, replicas=replicas,
            ttl=decisions_ttl))
    try:
        await js.object_store(ATTACHMENTS_BUCKET)
    except (BucketNotFoundError, NotFoundError):
        await js.create_object_store(ATTACHMENTS_BUCKET, ObjectStoreConfig(
            storage=StorageType.FILE, replicas=replicas, max_bytes=attachments_max_bytes))
    await ensure_revocations_bucket(js, replicas)
    caps = {f"OBJ_{ATTACHMENTS_BUCKET}": attachments_max_bytes}
    ages = {f"KV_{DECISIONS_BUCKET}": decisions_ttl}  # a bucket made before keys expired gets it
    for name in (f"KV_{DECISIONS_BUCKET}", f"OBJ_{ATTACHMENTS_BUCKET}", f"KV_{REVOCATIONS_BUCKET}"):
        info, cap, age = await js.stream_info(name), caps.get(name), ages.get(name)
        if (info.config.num_replicas != replicas or (cap and info.config.max_bytes != cap)
                or (age and info.config.max_age != age)):
            info.config.num_replicas = replicas
            if cap:
                info.config.max_bytes = cap
            if age:
                info.config.max_age = age
            await js.update_stream(info.config)


async def connect_with_retry(broker: NatsBroker, stop: asyncio.Event, url: str) -> bool:
    """Connect, retrying with backoff until connected or asked to stop."""
    delay = 0.2
    while not stop.is_set():
        try:
            await broker.connect()
            return True
        except Exception as exc:  # noqa: BLE001 - any failure to reach NATS is retried
            log.warning("NATS %s belum bisa dihubungi (%s); coba lagi dalam %.1fs", url, exc, delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, 5.0)
    return False


async def publish_event(broker: NatsBroker, subject: str, body: bytes, event_id: str,
                        headers: dict[str, str] | None = None) -> bool:
    """Publish one stored event to JetStream; True when the stream dropped it as a duplicate.
    `headers`: `codec.headers_for(event)`, the ticket (or FAQ entry) it belongs to."""
    ack = await broker.publish(
        body, subject, headers=publish_headers(event_id, headers), stream=STREAM, timeout=5.0
    )
    return bool(ack and ack.duplicate)


_contexts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> its js


async def publish_events(broker: NatsBroker, items: list[tuple], timeout: float = 10.0,
                         ) -> list[bool]:
    """Publish stored events in order, pipelined; True for each the stream dropped as a duplicate.
    Each item is (subject, body, event id) or (subject, body, event id, headers): the headers
    of `codec.headers_for(event)`, which every event of the helpdesk carries.

    Each `publish_async` call writes its message to the connection before the next is made, so
    the stream receives them in the order given (the per-ticket order the consumers rely on);
    the acks are awaited together. One round trip per event (`publish_event`) capped a relay at
    a few thousand events per second on a busy event loop; this is one round trip per batch.
    If any ack fails or times out the whole batch counts as not published and the relay retries
    it from its saved position: `Nats-Msg-Id` makes the republished ones duplicates.
    """
    connection = broker.connection
    entry = _contexts.get(connection)
    if entry is None:  # one context per connection: each creates its own reply subscription
        entry = _contexts[connection] = (connection.jetstream(), asyncio.Lock())
    js, lock = entry
    futures = []
    try:
        # The lock: relays of several services share the context, and its lazy reply-inbox
        # set-up is not safe against concurrent first calls. Writing is quick; acks are not held.
        async with lock:
            for subject, body, event_id, *extra in items:
                futures.append(await js.publish_async(
                    subject, body, stream=STREAM,
                    headers=publish_headers(event_id, extra[0] if extra else None)))
        acks_of_all = asyncio.gather(*futures)
        # Cancelled (the relay stopping mid-batch), a gather ends with a CancelledError that
        # `wait_for` never reads; unread, asyncio logged "_GatheringFuture exception was never
        # retrieved" at exit (seen after the cluster test). Read it here: the caller has the
        # outcome already.
        acks_of_all.add_done_callback(lambda done: done.cancelled() or done.exception())
        acks = await asyncio.wait_for(acks_of_all, timeout)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [bool(ack.duplicate) for ack in acks]
