"""Outbox, tracked consumers and dead letters against a real nats-server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import nats
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform import deadletters
from lpse_helpdesk.platform.auth import TokenSigner
from lpse_helpdesk.platform.bus import ensure_stream, make_broker, publish_event
from lpse_helpdesk.platform.outbox import OutboxRelay
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.schemas import STREAM, encode_event
from lpse_helpdesk.schemas import events as ev
from unit.test_schemas import sample
from lpse_helpdesk.schemas.api import NewTicket
from lpse_helpdesk.schemas.events import Reporter
from lpse_helpdesk.services import triage
from lpse_helpdesk.services.intake import SERVICE as INTAKE
from lpse_helpdesk.services.intake.application import IntakeService
from lpse_helpdesk.services.triage.application import TriageService


def new_ticket(i: int, tenant: str = "batubara") -> NewTicket:
    return NewTicket(tenant=tenant, channel="web", reporter=Reporter(name=f"Pelapor {i}"),
                     subject=f"Gagal upload dokumen penawaran {i}",
                     description="Muncul error 500 saat unggah dokumen penawaran tender")


async def stream_messages(url: str, subject: str = "helpdesk.>") -> int:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(STREAM, subjects_filter=subject)
        return sum((info.state.subjects or {}).values()) if subject != "helpdesk.>" else info.state.messages
    finally:
        await nc.close()


def classified_count(store: ServiceStore) -> int:
    return len([n for n in store.notifications(0, 10_000) if n.topic == "ticket.classified"])


class CrashAfterPublish(OutboxRelay):
    """A relay that dies after publishing a batch but before saving its position."""

    def save_position(self, position: int, set_aside=()) -> None:
        raise RuntimeError("relay mati sebelum menyimpan posisi")


async def test_relay_killed_between_publish_and_save_publishes_each_event_once(
    tmp_path, nats_server, standards
):
    settings = make_settings(tmp_path, nats_server.url)
    store = ServiceStore("intake", settings, INTAKE.tables)
    intake = IntakeService(ServiceContext(settings, store, standards, signer=TokenSigner(b"uji")))
    for i in range(10):
        intake.submit(new_ticket(i))
    broker = make_broker(nats_server.url)
    await broker.connect()
    await ensure_stream(broker)

    async def publish(subject, body, msg_id, headers=None):
        return await publish_event(broker, subject, body, msg_id, headers)

    crashing = CrashAfterPublish(store, publish, batch_size=6)
    with pytest.raises(RuntimeError, match="relay mati"):
        await crashing.publish_pending()
    assert await stream_messages(nats_server.url) == 6  # published, position not saved

    restarted = OutboxRelay(store, publish, batch_size=6)  # a fresh process resumes from 0
    assert await restarted.publish_pending() == 6  # the same six again: JetStream drops them
    assert await restarted.publish_pending() == 4
    assert await restarted.publish_pending() == 0
    assert await stream_messages(nats_server.url) == 10  # every event exactly once
    await broker.stop()
    store.close()

    # Consumers downstream see each ticket once.
    async with running_helpdesk(settings, services=["triage", "desk"]) as hd:
        triage_store = hd.runtime.service("triage").store
        await eventually(lambda: classified_count(triage_store) == 10, what="10 klasifikasi")
        await asyncio.sleep(0.5)  # give any duplicate a chance to show up
        assert classified_count(triage_store) == 10
        desk = hd.runtime.service("desk").store
        await eventually(
            lambda: desk.query(f"SELECT COUNT(*) FROM {desk.prefix}_ticket_events")[0][0] == 20,
            what="20 baris timeline",
        )


async def test_message_delivered_twice_changes_nothing_the_second_time(
    tmp_path, nats_server, standards
):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage"]) as hd:
        r = await hd.post_ticket("batubara")
        triage_store = hd.runtime.service("triage").store
        await eventually(lambda: classified_count(triage_store) == 1, what="klasifikasi")

        # 1. The same stream message delivered again (e.g. ack lost): tracking says done.
        consumer = hd.runtime.service("triage").consumers[0]
        received = hd.runtime.service("intake").store.notifications(0, 1)[0]
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        msg = await js.get_last_msg(STREAM, "helpdesk.batubara.ticket.received")
        assert msg.headers["Helpdesk-Ticket"] == r.json()["id"]
        outcome = await consumer.process(msg.subject, msg.data, msg.seq, attempt=2)
        assert outcome == "duplicate"

        # 2. The same event published again under a new message id (outside the dedup window):
        #    a new stream sequence, but triage's aggregate says it is already classified.
        await js.publish(msg.subject, received.state, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        await nc.close()
        await eventually(
            lambda: hd.runtime.metrics.events_in.labels("triage", "triage", "done")._value.get() >= 2,
            what="pesan kedua diproses",
        )
        assert classified_count(triage_store) == 1


async def test_nats_down_intake_keeps_accepting_then_tickets_flow(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        first = (await hd.post_ticket()).json()
        await eventually(lambda: _classified(hd, first), what="tiket pertama")

        nats_server.stop()
        waiting = []
        for i in range(3):
            r = await hd.post_ticket(subject=f"Tiket saat NATS mati {i}")
            assert r.status_code == 201, r.text
            waiting.append(r.json())
        intake = hd.runtime.service("intake")
        await asyncio.sleep(0.5)
        assert intake.relay.load_position() < intake.store.max_notification_id()  # in the outbox
        assert (await hd.http.get("/ready")).status_code == 503

        nats_server.start()
        for created in waiting:
            await eventually(lambda c=created: _classified(hd, c), timeout=30, what="tiket mengalir")
        assert (await hd.http.get("/ready")).status_code == 200


async def _classified(hd, created) -> bool:
    ticket = await hd.ticket(created)
    return bool(ticket and ticket["category"])


class FlakyTriage(TriageService):
    broken = True

    def on_received(self, event, stream_seq):
        if FlakyTriage.broken:
            raise RuntimeError("pengklasifikasi rusak")
        return super().on_received(event, stream_seq)


async def test_always_failing_handler_ends_as_dead_letter_and_replays_once(
    tmp_path, nats_server, database_url
):
    flaky = dataclasses.replace(triage.SERVICE, build=FlakyTriage)
    settings = make_settings(tmp_path, nats_server.url, database_url, max_attempts=3)
    FlakyTriage.broken = True
    async with running_helpdesk(settings, services=["intake"]) as hd:
        from lpse_helpdesk.platform.runtime import Runtime

        async with Runtime(settings, [flaky], standards=hd.runtime.standards, serve_http=False) as rt:
            await asyncio.wait_for(rt.nats_ready.wait(), 20)
            await hd.post_ticket("basarnas")
            store = rt.service("triage").store
            [letter] = await eventually(lambda: deadletters.list_dead_letters(store),
                                        what="dead letter")
            assert letter.attempts == 3 and "pengklasifikasi rusak" in letter.error
            assert letter.subject.endswith(".received")
            assert classified_count(store) == 0

            FlakyTriage.broken = False  # the fix
            app = rt.service("triage").app
            assert deadletters.replay_dead_letter(store, letter, app.on_received) == 1
            with pytest.raises(deadletters.ReplayFailed):
                deadletters.replay_dead_letter(store, letter, app.on_received)
            assert classified_count(store) == 1
            assert deadletters.list_dead_letters(store) == []
            assert deadletters.list_dead_letters(store, include_replayed=True)[0].replayed_at
            await eventually(
                lambda: stream_messages(nats_server.url, "helpdesk.*.ticket.classified"),
                what="klasifikasi hasil replay terbit",
            )


async def test_garbage_and_oversize_on_the_bus_become_dead_letters_without_crash(
    tmp_path, nats_server, capsys
):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        await js.publish("helpdesk.batam.ticket.x.received", b"garbage{")
        await js.publish("helpdesk.batam.ticket.y.received", b'{"type": "ticket.received"}')
        await js.publish("helpdesk.batam.ticket.z.received", b" " * (settings.max_body_bytes + 1))
        wrong_type = encode_event(sample(ev.TicketReceived)).replace(b'"channel":"web"', b'"channel":7')
        await js.publish("helpdesk.batam.ticket.w.received", wrong_type)
        await nc.close()
        created = (await hd.post_ticket()).json()
        await eventually(lambda: _classified(hd, created), what="tiket sah tetap diproses")
        store = hd.runtime.service("triage").store
        await eventually(lambda: len(deadletters.list_dead_letters(store)) == 4,
                         what="empat dead letter")
        letters = deadletters.list_dead_letters(store)
        errors = sorted(d.error for d in letters)
        assert all(d.attempts == 1 for d in letters)  # invalid input is not retried
        assert any("JSON" in e for e in errors) and any("terlalu besar" in e for e in errors)
        assert any("event_id" in e for e in errors)  # missing field, named
        assert any("$.channel" in e for e in errors)  # wrong type, named

    from lpse_helpdesk.cli import main

    capsys.readouterr()
    assert main(["dead-letters", "list", "--data-dir", str(settings.data_dir)]) == 0
    out = capsys.readouterr().out
    assert out.count("triage:triage#") == 4 and "helpdesk.batam.ticket.x.received" in out
    # A page at a time (platform/paging.py), oldest first: the next page's cursor is said on
    # stderr, and the pages hold every letter of the whole list once.
    paged, after, pages = [], [], 0
    while True:
        assert main(["dead-letters", "list", "--limit", "3", *after,
                     "--data-dir", str(settings.data_dir)]) == 0
        shown = capsys.readouterr()
        paged += [line for line in shown.out.splitlines() if not line.startswith(" ")]
        pages += 1
        if "--after " not in shown.err:
            break
        after = ["--after", shown.err.split("--after ")[1].split()[0]]
    whole = [line for line in out.splitlines() if not line.startswith(" ")]
    assert len(whole) > 3 and pages == -(-len(whole) // 3) and sorted(paged) == sorted(whole)
    assert len(set(paged)) == len(paged)


async def test_two_replicas_share_the_durable_consumer_without_double_effects(
    tmp_path, nats_server, database_url
):
    from lpse_helpdesk.platform.runtime import Runtime
    from lpse_helpdesk.services import definition

    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["intake", "triage"]) as hd:
        async with Runtime(settings, [definition("triage")], standards=hd.runtime.standards,
                           serve_http=False) as replica:
            await asyncio.wait_for(replica.nats_ready.wait(), 20)
            responses = await asyncio.gather(*(hd.post_ticket("tuban") for _ in range(30)))
            assert all(r.status_code == 201 for r in responses)
            store = hd.runtime.service("triage").store
            await eventually(lambda: classified_count(store) == 30, timeout=30, what="30 tiket")
            await eventually(
                lambda: stream_messages(nats_server.url, "helpdesk.*.ticket.classified"),
                what="klasifikasi terbit",
            )
            await asyncio.sleep(0.5)
            assert classified_count(store) == 30
            assert await stream_messages(
                nats_server.url, "helpdesk.*.ticket.classified") == 30
            def handled(outcome):
                return [rt.metrics.events_in.labels("triage", "triage", outcome)._value.get()
                        for rt in (hd.runtime, replica)]
            # One durable consumer: JetStream hands each message to one replica, so none is
            # delivered twice (each replica with its own consumer would show 30 duplicates).
            assert sum(handled("done")) == 30 and sum(handled("duplicate")) == 0, (
                handled("done"), handled("duplicate"))


async def test_a_decision_before_nats_ever_connected_is_refused_with_503():
    """Between HTTP starting and the first NATS connection, faststream raises its own
    IncorrectState; the guard must answer "NATS unavailable" (503), not crash (500)."""
    import asyncio
    import uuid

    from lpse_helpdesk import refusals
    from lpse_helpdesk.platform.bus import make_broker
    from lpse_helpdesk.platform.natsserver import free_port
    from lpse_helpdesk.workflow.guard import BusUnavailable, DecisionGuard

    guard = DecisionGuard(make_broker(f"nats://127.0.0.1:{free_port()}"),
                          asyncio.get_running_loop())
    decided = []
    with pytest.raises(BusUnavailable) as refused:
        await asyncio.to_thread(guard.decide, uuid.uuid4(), set, lambda: decided.append(1))
    # Unavailable is answered 503 (platform/http.py STATUS_OF); nothing decided without the guard
    assert isinstance(refused.value, refusals.Unavailable) and not decided


async def test_a_publish_cancelled_while_waiting_for_acks_leaves_nothing_unread(
        nats_server, caplog):
    # The relay is cancelled mid-batch when a service stops. Its pending acks were gathered
    # and the gather's CancelledError was never read: asyncio logged "_GatheringFuture
    # exception was never retrieved" (seen after the cluster test). A paused nats-server
    # (SIGSTOP) holds the acks back, as a stopping one can.
    import gc
    import logging
    import os
    import signal

    from lpse_helpdesk.platform.bus import publish_events

    broker = make_broker(nats_server.url)
    await broker.connect()
    await ensure_stream(broker)
    os.kill(nats_server.process.pid, signal.SIGSTOP)
    try:
        body = encode_event(sample(ev.TicketReceived))
        publishing = asyncio.create_task(publish_events(
            broker, [(f"helpdesk.batam.ticket.{uuid.uuid4()}.received", body, str(uuid.uuid4()))
                     for _ in range(3)]))
        await asyncio.sleep(0.2)
        assert not publishing.done()  # waiting for the acks
        publishing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await publishing
    finally:
        os.kill(nats_server.process.pid, signal.SIGCONT)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        await asyncio.sleep(0.05)
        del publishing
        gc.collect()
        await asyncio.sleep(0.05)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    await broker.stop()
