"""The TICKET_DECISIONS bucket forgets quiet tickets (issue 21): its keys expire, a decision
after the expiry still works, and a key that expires under a decision in flight refuses it
(never lets two decisions through)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from nats.js.errors import KeyNotFoundError

from lpse_helpdesk import refusals
from lpse_helpdesk.platform.bus import ensure_buckets, make_broker
from lpse_helpdesk.workflow.guard import BUCKET, DECISIONS_TTL_S, Decided, DecisionGuard

TTL = 1.0  # the test's short max age


class Event:
    def __init__(self):
        self.event_id = uuid.uuid4()


async def test_the_bucket_is_made_with_the_ttl_and_an_old_bucket_gets_it(nats_server):
    broker = make_broker(nats_server.url)
    await broker.connect()
    try:
        js = broker.connection.jetstream()
        await ensure_buckets(broker)
        info = await js.stream_info(f"KV_{BUCKET}")
        assert info.config.max_age == DECISIONS_TTL_S == 3600
        # A bucket made before keys expired (no max age) is brought to the TTL on connect.
        info.config.max_age = 0
        await js.update_stream(info.config)
        await ensure_buckets(broker)
        assert (await js.stream_info(f"KV_{BUCKET}")).config.max_age == DECISIONS_TTL_S
    finally:
        await broker.stop()


async def test_a_decision_after_its_tickets_key_expired_still_works(nats_server):
    broker = make_broker(nats_server.url)
    await broker.connect()
    try:
        await ensure_buckets(broker, decisions_ttl=TTL)
        kv = await broker.connection.jetstream().key_value(BUCKET)
        guard = DecisionGuard(broker, asyncio.get_running_loop())
        ticket, history = uuid.uuid4(), set()

        def decide_once(delay: float = 0.0) -> Decided:
            def decide():
                time.sleep(delay)
                return Decided(Event(), 1)
            result = guard.decide(ticket, lambda: set(history), decide)
            history.add(result.event.event_id)
            return result

        first = await asyncio.to_thread(decide_once)
        assert (await kv.get(str(ticket))).value.decode().startswith(str(first.event.event_id))
        await asyncio.sleep(TTL + 1.0)
        with pytest.raises(KeyNotFoundError):
            await kv.get(str(ticket))
        assert (await kv.status()).values == 0  # the bucket holds nothing of the quiet ticket
        # Decided again: the guard finds no key and creates it.
        second = await asyncio.to_thread(decide_once)
        entry = await kv.get(str(ticket))
        assert entry.value.decode().startswith(str(second.event.event_id))
        # A key that expires while a decision is in flight (read, then past the TTL, then the
        # write): its update is refused as a lost race, not written over nothing.
        with pytest.raises(refusals.Conflict):
            await asyncio.to_thread(decide_once, TTL + 1.0)
        with pytest.raises(KeyNotFoundError):
            await kv.get(str(ticket))
        third = await asyncio.to_thread(decide_once)  # and the staff member's retry works
        assert (await kv.get(str(ticket))).value.decode().startswith(str(third.event.event_id))
    finally:
        await broker.stop()
