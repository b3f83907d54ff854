"""The NATS side: one faststream broker per process, the TICKETS stream, publishing.

The broker reconnects forever: a helpdesk must ride out a NATS restart, not give up after
faststream's default of 60 attempts.
"""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from ..schemas import STREAM, STREAM_SUBJECTS

log = logging.getLogger("lpse_helpdesk.bus")

# Msg-Id dedup window: a relay that crashed between publishing and saving its position
# republishes at most one batch on restart, seconds later; ten minutes is a wide margin.
DUPLICATE_WINDOW_S = 600.0


def make_broker(nats_url: str) -> NatsBroker:
    return NatsBroker(
        nats_url,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=2,
        logger=None,  # we log one structured line per handled event ourselves
    )


def stream_config(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=STREAM,
        subjects=list(STREAM_SUBJECTS),
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
        num_replicas=replicas,
    )


async def ensure_stream(broker: NatsBroker, replicas: int = 1) -> None:
    js = broker.connection.jetstream()
    config = stream_config(replicas)
    try:
        await js.add_stream(config)
    except BadRequestError:  # exists with other settings: bring it to ours
        await js.update_stream(config)


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


async def publish_event(broker: NatsBroker, subject: str, body: bytes, event_id: str) -> bool:
    """Publish one stored event to JetStream; True when the stream dropped it as a duplicate."""
    ack = await broker.publish(
        body, subject, headers={"Nats-Msg-Id": event_id}, stream=STREAM, timeout=5.0
    )
    return bool(ack and ack.duplicate)
