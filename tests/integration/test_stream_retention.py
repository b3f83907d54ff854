"""TICKETS with a max age (issue 21): an existing stream gets the limits on connect, and once
old messages have left it, `rebuild` refuses to empty a read model until `stream refill` has
put every event back."""

from __future__ import annotations

import asyncio

import nats
from conftest import eventually, make_settings, running_helpdesk
from integration.test_rebuild import drained, rows
from integration.test_stream_refill import cli
from nats.js.api import DiscardPolicy, StreamConfig

from lpse_helpdesk.platform.bus import COMPLETE_FROM, ensure_stream, make_broker
from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.schemas import STREAM, STREAM_SUBJECTS
from lpse_helpdesk.services import definition


async def test_an_existing_stream_gets_the_limits_and_keeps_its_metadata(nats_server):
    broker = make_broker(nats_server.url)
    await broker.connect()
    try:
        js = broker.connection.jetstream()
        # As earlier versions made it: no age, no cap, dropping the oldest when full.
        await js.add_stream(StreamConfig(name=STREAM, subjects=list(STREAM_SUBJECTS),
                                         metadata={COMPLETE_FROM: "7"}))
        await ensure_stream(broker, 1, 30.0, 10**9)
        config = (await js.stream_info(STREAM)).config
        assert config.max_age == 30 * 86400 and config.max_bytes == 10**9
        assert config.discard == DiscardPolicy.NEW
        assert config.metadata[COMPLETE_FROM] == "7"
    finally:
        await broker.stop()


async def test_rebuild_refuses_an_aged_stream_until_it_is_refilled(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, stream_max_age_days=1 / 86400)  # 1 s
    async with running_helpdesk(settings) as hd:
        created = [(await hd.post_ticket()).json() for _ in range(3)]
        for ticket in created:
            await eventually(lambda t=ticket: hd.ticket(t), what="the desk has the ticket")
        await drained(hd)
        before = rows(hd.runtime.service("desk").store)

    async def messages() -> int:
        nc = await nats.connect(nats_server.url)
        try:
            return (await nc.jetstream().stream_info(STREAM)).state.messages
        finally:
            await nc.close()

    await eventually(_zero(messages), timeout=20, what="the events left the stream by age")
    data = ["--data-dir", str(settings.data_dir), "--nats", nats_server.url]
    code, _, err = await asyncio.to_thread(cli, "rebuild", "desk", *data)
    assert code == 1 and "stream refill" in err
    assert _rows(settings) == before  # nothing emptied
    # The refill, with the default age (30 days), then the rebuild.
    code, _, err = await asyncio.to_thread(cli, "stream", "refill", *data)
    assert code == 0, err
    assert await messages() == len(before["ticket_events"])
    code, _, err = await asyncio.to_thread(cli, "rebuild", "desk", *data)
    assert code == 0, err
    rebuilt = _rows(settings)
    assert ([r[:2] + r[3:5] for r in rebuilt["ticket_events"]] ==
            [r[:2] + r[3:5] for r in before["ticket_events"]])
    assert rebuilt["ticket_state"] == before["ticket_state"]


def _zero(count):
    async def check():
        return await count() == 0
    return check


def _rows(settings):
    store = ServiceStore("desk", settings, definition("desk").tables)
    try:
        return rows(store)
    finally:
        store.close()
