"""No event can block a pipe: an oversize event is refused when decided, one the bus cannot carry
is set aside by the outbox while the rest flows, and /ready says when anything stops moving."""

from __future__ import annotations

import asyncio
import sys

import nats
import pytest
from nats.js.api import DiscardPolicy

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform import deadletters, flow, outbox
from lpse_helpdesk.platform.auth import TokenSigner
from lpse_helpdesk.platform.bus import publish_event, stream_config
from lpse_helpdesk.platform.store import EventTooLarge, ServiceStore
from lpse_helpdesk.schemas import STREAM
from lpse_helpdesk.services import definition
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards
from test_reliability import new_ticket


async def _category(hd, created) -> str | None:
    ticket = await hd.ticket(created)
    return ticket["category"] if ticket else None


def test_an_event_larger_than_the_bus_takes_is_refused_before_anything_is_stored(tmp_path):
    settings = Settings(data_dir=tmp_path, max_body_bytes=2_000)
    spec = definition("intake")
    store = ServiceStore("intake", settings, spec.tables)
    try:
        service = spec.build(ServiceContext(settings, store, load_standards(),
                                                signer=TokenSigner(b"k" * 32)))
        ticket = new_ticket(1)
        service.submit(ticket)  # a normal ticket fits
        before = store.max_notification_id()
        long = type(ticket)(**{**{f: getattr(ticket, f) for f in ticket.__struct_fields__},
                               "description": "x" * 2_500})
        with pytest.raises(EventTooLarge, match="terlalu besar"):
            service.submit(long)
        assert store.max_notification_id() == before
    finally:
        store.close()


async def test_oversize_post_gets_413_and_an_event_the_bus_cannot_carry_is_set_aside(
        tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        intake = hd.runtime.service("intake")
        # Refused at the door when decided: 413 naming why, nothing stored.
        intake.store.mapper.max_event_bytes, before = 600, intake.store.max_notification_id()
        r = await hd.post_ticket(description="Mohon bantuan " * 40)
        assert r.status_code == 413 and "terlalu besar" in r.json()["detail"], r.text
        assert intake.store.max_notification_id() == before
        intake.store.mapper.max_event_bytes = intake.store.max_event_bytes

        # Stored, but larger than the bus now takes (a limit lowered later): set aside.
        intake.relay.max_bytes = lambda: 1_500
        big = (await hd.post_ticket(description="Layar putih saat unggah. " * 80)).json()
        small = (await hd.post_ticket(description="Tidak bisa login")).json()
        assert await eventually(lambda: _category(hd, small), what="the next ticket flows")
        [letter] = await eventually(lambda: deadletters.list_dead_letters(intake.store),
                                    what="the big event set aside")
        assert letter.consumer == outbox.SET_ASIDE and "terlalu besar" in letter.error
        assert letter.subject.endswith(".received")
        metrics = (await hd.http.get("/metrics")).text
        assert 'helpdesk_dead_letters_total{consumer="outbox",service="intake"} 1.0' in metrics
        assert await _category(hd, big) is None

        # Replayed once the bus takes it again: the ticket flows, and only once.
        async def publish(subject, body, msg_id, headers=None):
            return await publish_event(hd.runtime.broker, subject, body, msg_id, headers)

        with pytest.raises(deadletters.ReplayFailed, match="masih terlalu besar"):
            await deadletters.republish(intake.store, letter, publish, 1_500)
        # As an operator does it: the command publishes it while the helpdesk runs.
        replay = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lpse_helpdesk.cli", "dead-letters", "replay", "--service",
            "intake", "--data-dir", str(settings.data_dir), "--nats", nats_server.url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await replay.communicate()
        assert replay.returncode == 0 and b"outbox#" in out, (out, err)
        assert await eventually(lambda: _category(hd, big), what="the replayed ticket flows")
        [replayed] = deadletters.list_dead_letters(intake.store, include_replayed=True)
        with pytest.raises(deadletters.ReplayFailed, match="sudah diputar ulang"):
            await deadletters.republish(intake.store, replayed, publish, 200_000)


async def test_ready_reports_a_stalled_outbox_and_a_full_stream(tmp_path, nats_server, monkeypatch):
    monkeypatch.setattr(outbox, "STALLED_AFTER_S", 0.3)
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage"]) as hd:
        assert (await hd.http.get("/ready")).status_code == 200
        relay = hd.runtime.service("intake").relay
        working = relay.publish_batch

        async def broken(items):
            raise ConnectionError("bus menolak")

        relay.publish_batch = broken
        await hd.post_ticket()
        body = await eventually(
            lambda: _not_ready(hd), what="/ready reports the stalled outbox")
        assert "outbox:intake" in body["flow"] and "bus menolak" in body["flow"]["outbox:intake"]
        assert 'helpdesk_outbox_stalled{service="intake"} 1.0' in (await hd.http.get("/metrics")).text
        relay.publish_batch = working
        relay.wake()
        await eventually(lambda: _ready(hd), what="ready again once the outbox moves")

        # A stream at its storage limit refuses every publish: /ready says so.
        nc = await nats.connect(nats_server.url)
        try:
            js = nc.jetstream()
            config = (await js.stream_info(STREAM)).config
            config.max_bytes, config.discard = (await js.stream_info(STREAM)).state.bytes + 64, \
                DiscardPolicy.NEW
            await js.update_stream(config)
            body = await eventually(lambda: _not_ready(hd), timeout=20,
                                    what="/ready reports the full stream")
            assert "stream penuh" in body["flow"]["stream"]
            await js.update_stream(stream_config())
            await eventually(lambda: _ready(hd), timeout=20, what="ready once the quota is lifted")
        finally:
            await nc.close()


async def _not_ready(hd):
    r = await hd.http.get("/ready")
    return r.json() if r.status_code == 503 and r.json().get("flow") != "ok" else None


async def _ready(hd):
    return (await hd.http.get("/ready")).status_code == 200


def test_a_consumer_is_stalled_when_its_ack_floor_stays_while_messages_wait():
    progress = flow.ConsumerProgress()
    assert progress.stalled("desk", 10, pending=5, now=0.0) is None
    assert progress.stalled("desk", 10, pending=5, now=flow.CONSUMER_STALLED_AFTER_S - 1) is None
    why = progress.stalled("desk", 10, pending=5, now=flow.CONSUMER_STALLED_AFTER_S + 1)
    assert why and "desk" in why and "urutan 11" in why
    assert progress.stalled("desk", 11, pending=5, now=flow.CONSUMER_STALLED_AFTER_S + 2) is None
    # Nothing waiting is idle, not stuck.
    assert progress.stalled("faq", 3, pending=0, now=0.0) is None
    assert progress.stalled("faq", 3, pending=0, now=10_000.0) is None


def test_full_stream_and_disk_are_named(tmp_path, monkeypatch):
    assert flow.stream_full(100, 0) is None  # no limit
    assert flow.stream_full(94, 100) is None
    assert "stream penuh" in flow.stream_full(96, 100)
    assert "pesan" in flow.stream_full(0, 0, 99, 100)
    free, why = flow.disk_full(tmp_path / "not-made-yet")
    assert free > 0 and why is None
    monkeypatch.setattr(flow, "DISK_MIN_FREE_BYTES", free * 2)
    assert "hampir penuh" in flow.disk_full(tmp_path)[1]
