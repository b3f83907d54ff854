"""The desk's bulk rebuild gives exactly the rows of the incremental projection, and the live
consumer resumes after it without redoing or skipping anything."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import nats

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.cli import main
from lpse_helpdesk.platform import rebuild
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.schemas import STREAM, subject_filter
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.desk import bulk
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards
from scenario import Desk, types

SCORES = dict(persyaratan=4, prosedur=4, waktu=4, biaya=4, produk=3, kompetensi=3, perilaku=3,
              pengaduan=3, sarana=4)
TABLES = {"ticket_events": "event_id", "tickets": "ticket_id", "ticket_state": "ticket_id"}


def rows(store: ServiceStore) -> dict[str, list[tuple]]:
    return {table: store.query(f"SELECT * FROM {store.prefix}_{table} ORDER BY {key}")
            for table, key in TABLES.items()}


async def drained(hd) -> None:
    names = [c.name for s in hd.runtime.services.values() for c in s.consumers]

    async def quiet():
        nc = await nats.connect(hd.settings.nats_url)
        try:
            js = nc.jetstream()
            infos = [await js.consumer_info(STREAM, name) for name in names]
        finally:
            await nc.close()
        relays = [s.relay.load_position() == s.store.max_notification_id()
                  for s in hd.runtime.services.values()]
        return all(relays) and all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos)

    await eventually(quiet, timeout=30, what="semua consumer selesai")
    await asyncio.sleep(0.3)
    assert await quiet()


async def realistic_tickets(hd) -> list[dict]:
    batam, lampung, basarnas = Desk(hd, "batam"), Desk(hd, "lampung"), Desk(hd, "basarnas")
    hd_btm = await batam.staff("hd.btm", "helpdesk")
    koor = await batam.staff("koor.btm", "koordinator")
    hd_lpg = await lampung.staff("hd.lpg", "helpdesk")
    hd_bsn = await basarnas.staff("hd.bsn", "helpdesk")
    body = {"documents": dict.fromkeys(("id_card", "company_npwp", "director_id_card",
                                        "request_letter", "company_documents", "screenshot"),
                                       "terlampir")}

    # Replied, closed, "not solved" (the desk's consumer reopens it), closed again, surveyed.
    a = await batam.report(subject="Tidak bisa login SPSE", description="Error saat login", **body)
    await batam.act(hd_btm, a, "reply", {"message": "Silakan coba reset sandi"})
    await batam.act(hd_btm, a, "close", {"resolution": "Sandi direset"})
    await batam.reporter(a, "feedback", {"solved": False, "message": "masih gagal"})
    await batam.until(a, lambda t: t["status"] == "open", "dibuka lagi oleh pelapor")
    await batam.act(hd_btm, a, "close", {"resolution": "Akun dibuka kuncinya"})
    r = await hd.http.post(f"/api/v1/tickets/{a['number']}/survey",
                           params={"token": a["access_token"]}, json={"scores": SCORES})
    assert r.status_code == 201, r.text
    # Escalated to the coordinator, answered, closed for the FAQ.
    b = await batam.report(subject="Server LPSE tidak bisa diakses",
                           description="Halaman SPSE error 502 sejak pagi", **body)
    await batam.act(hd_btm, b, "escalate", {"reason": "perlu Koordinator"})
    await batam.act(koor, b, "answer", {"message": "Server sudah dipulihkan"})
    await batam.act(koor, b, "assign", {"assignee": koor})  # reassigned, then given back
    await batam.act(koor, b, "assign", {"assignee": hd_btm})
    await batam.act(hd_btm, b, "close", {"resolution": "Server dipulihkan", "publish_faq": True})
    # Information requested, the reporter replies, a note, closed, reopened by staff.
    c = await lampung.report(subject="Mohon reset akun penyedia",
                             description="Akun terkunci setelah salah sandi", **body)
    await lampung.act(hd_lpg, c, "request-info", {"message": "Mohon kirim NIB"})
    await lampung.reporter(c, "replies", {"message": "NIB 1234567890"})
    await lampung.act(hd_lpg, c, "notes", {"message": "NIB cocok"})
    await lampung.act(hd_lpg, c, "close", {"resolution": "Akun direset"})
    await lampung.act(hd_lpg, c, "reopen", {"reason": "ternyata belum"})
    # Received and classified only, and one replied.
    d = await basarnas.report(subject="Pertanyaan jadwal pelatihan", description="Kapan?", **body)
    e = await basarnas.report(subject="Gagal unggah dokumen", description="Error 500", **body)
    await basarnas.act(hd_bsn, e, "claim", {})
    await basarnas.act(hd_bsn, e, "reply", {"message": "Ukuran maksimal 10 MB"})
    await batam.until(a, lambda t: "survey_submitted" in types(t), "survei di timeline")
    return [a, b, c, d, e]


async def test_bulk_rebuild_gives_the_rows_of_the_incremental_projection(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    standards = load_standards()
    async with running_helpdesk(settings, standards=standards) as hd:
        tickets = await realistic_tickets(hd)
        await drained(hd)
        before = rows(hd.runtime.service("desk").store)
    assert len(before["ticket_state"]) == len(tickets) == len(before["tickets"])
    kinds = {row[3] for row in before["ticket_events"]}
    assert {"ticket.reopened", "ticket.escalated_to_coordinator", "ticket.survey_submitted",
            "ticket.reporter_feedback", "ticket.reporter_replied", "ticket.assigned"} <= kinds
    assert sorted(row[5] for row in before["ticket_state"]).count("closed") == 2
    # The assignee column: a back to its closer on "not solved", b given to hd.btm, c reopened
    # by hd.lpg, e claimed; d nobody's.
    assert sorted(row[18] for row in before["ticket_state"]) == [
        "", "hd.bsn", "hd.btm", "hd.btm", "hd.lpg"]

    # 1. Into a fresh store, with the bulk path the bench times: streamed a pull at a time,
    # and with pulls and a window so small that tickets are let go and read back mid-rebuild.
    nc = await nats.connect(nats_server.url)
    try:
        messages = [m async for chunk in rebuild.stream_batches(nc, [subject_filter()[0]])
                    for m in chunk]
    finally:
        await nc.close()
    assert len(messages) == len(before["ticket_events"])
    for window, pull in ((50_000, None), (3, 4)):
        fresh = make_settings(tmp_path / f"fresh-{window}", nats_server.url)
        store = ServiceStore("desk", fresh, definition("desk").tables)
        try:
            desk = definition("desk").build(ServiceContext(fresh, store, standards))
            [spec] = definition("desk").consumers(desk)
            if pull is None:
                nc = await nats.connect(nats_server.url)
                try:
                    result = await rebuild.rebuild_from_stream(nc, store, spec)
                finally:
                    await nc.close()
            else:
                made = []

                def small_window():
                    made.append(bulk.BulkProjection(store, standards, (), window=window))
                    return made[-1]

                chunks = [messages[i:i + pull] for i in range(0, len(messages), pull)]
                result = rebuild.bulk_rebuild(store, replace(spec, bulk=small_window), chunks)
                assert made[0].read_back > 0  # tickets were let go and read back
            assert result.replayed == len(messages)
            # Not tracked before in this store, so the reporter's "not solved" is left to the
            # live consumer (it would decide it), and the consumer would resume there.
            assert result.tracked == len(messages) - 1
            assert rows(store) == before, window
        finally:
            store.close()

    # 2. As an operator runs it, with the service stopped: same rows, and the live consumer
    # resumes after the rebuilt point (the "not solved" was decided once, before).
    assert await asyncio.to_thread(main, ["rebuild", "desk", "--data-dir", str(settings.data_dir),
                                          "--nats", nats_server.url]) == 0
    store = ServiceStore("desk", settings, definition("desk").tables)
    try:
        assert rows(store) == before
        assert len(store.tracked("desk-view")) == len(before["ticket_events"])
    finally:
        store.close()
    nc = await nats.connect(nats_server.url)
    try:
        info = await nc.jetstream().consumer_info(STREAM, "desk-view")
        assert info.config.opt_start_seq == max(r[2] for r in before["ticket_events"]) + 1
    finally:
        await nc.close()
    async with running_helpdesk(settings, standards=standards) as hd:
        basarnas = Desk(hd, "basarnas")
        basarnas.tokens["hd.bsn"] = (await hd.http.post(
            "/api/v1/auth/token", json={"username": "hd.bsn", "password": "rahasia-sekali-123"}
        )).json()["access_token"]
        await basarnas.act("hd.bsn", tickets[3], "close", {"resolution": "Jadwal dikirim"})
        await basarnas.until(tickets[3], lambda t: t["status"] == "closed", "ditutup")
        await drained(hd)
        after = rows(hd.runtime.service("desk").store)
    assert len(after["ticket_events"]) == len(before["ticket_events"]) + 1
    assert [r[3] for r in after["ticket_events"]].count("ticket.reopened") == 2  # not again
    assert after["tickets"] == before["tickets"]


async def test_an_existing_consumer_gets_its_narrower_filter(tmp_path, nats_server):
    """A deployment made before the consumers had per-type filters: faq-drafts' durable
    consumer took every ticket event; on start it is updated in place and keeps its position."""
    from nats.js.api import StreamConfig

    from lpse_helpdesk.platform.subscription import consumer_config
    from lpse_helpdesk.schemas import STREAM_SUBJECTS, subject_filter
    from lpse_helpdesk.services.faq_publisher import DRAFT_EVENTS

    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name=STREAM, subjects=STREAM_SUBJECTS))
        await js.add_consumer(STREAM, config=consumer_config("faq-drafts", subject_filter()))
        # It had handled three messages that the new filter no longer matches.
        for _ in range(3):
            await js.publish(f"helpdesk.batam.ticket.{uuid.uuid4()}.notification_sent", b"{}")
        old = await js.pull_subscribe_bind(durable="faq-drafts", stream=STREAM)
        for message in await old.fetch(3, timeout=5):
            await message.ack_sync()
        await old.unsubscribe()
        settings = make_settings(tmp_path, nats_server.url)
        async with running_helpdesk(settings, services=["faq_publisher"]):
            async def updated():
                info = await js.consumer_info(STREAM, "faq-drafts")
                return sorted(info.config.filter_subjects or []) == sorted(
                    subject_filter(DRAFT_EVENTS)) and info
            info = await eventually(updated, what="filter faq-drafts diperbarui")
            # Updated in place: a recreated consumer would start again from the first message.
            assert info.ack_floor.stream_seq == 3 and info.delivered.stream_seq == 3
    finally:
        await nc.close()


def synthetic_messages(count: int) -> list[tuple[int, str, bytes]]:
    """Stream messages for `count` tickets: all received first, then an information request
    for each, so that every history spans the stream."""
    from datetime import UTC, datetime, timedelta

    from lpse_helpdesk.schemas import encode_event, new_envelope, subject_for
    from lpse_helpdesk.schemas import events as ev

    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    tickets = [uuid.uuid4() for _ in range(count)]
    events = [ev.TicketReceived(
        **new_envelope(ticket, "batam", start + timedelta(minutes=n)),
        number=f"BTM-2026-{n + 1:06d}", channel="web", reporter=ev.Reporter(name="Sari"),
        subject="Tidak bisa login", description="Error saat login", access_token_sha256="a" * 64)
        for n, ticket in enumerate(tickets)]
    events += [ev.InfoRequested(
        **new_envelope(ticket, "batam", start + timedelta(hours=1, minutes=n)),
        message="Mohon kirim NIB", actor=ev.Actor(id="hd.btm", role="helpdesk"))
        for n, ticket in enumerate(tickets)]
    return [(seq, subject_for(e), encode_event(e)) for seq, e in enumerate(events, 1)]


def desk_store(settings: Settings, standards):
    store = ServiceStore("desk", settings, definition("desk").tables)
    desk = definition("desk").build(ServiceContext(settings, store, standards))
    [spec] = definition("desk").consumers(desk)
    return store, spec


def test_a_bounded_bulk_rebuild_reads_back_in_its_own_postgres_transaction(tmp_path, pg_url):
    # On PostgreSQL the rows written so far are uncommitted: a ticket let go and read back must
    # be read through the rebuild's own transaction, or its state would be folded from nothing.
    standards = load_standards()
    messages = synthetic_messages(6)
    results = {}
    for name, url, window in (("sqlite", "", 50_000), ("postgres", pg_url, 50_000),
                              ("postgres-window-2", pg_url, 2)):
        settings = Settings(data_dir=tmp_path / name, database_url=url)  # a rebuild empties first
        store, spec = desk_store(settings, standards)
        try:
            made = []

            def projection():
                made.append(bulk.BulkProjection(store, standards, (), window=window))
                return made[-1]

            chunks = [messages[i:i + 3] for i in range(0, len(messages), 3)]
            result = rebuild.bulk_rebuild(store, replace(spec, bulk=projection), chunks)
            assert result.replayed == result.tracked == len(messages)
            results[name] = rows(store)
            if window == 2:
                assert made[0].read_back == 6
        finally:
            store.close()
    assert len(results["sqlite"]["ticket_state"]) == 6
    assert {row[5] for row in results["sqlite"]["ticket_state"]} == {"waiting_reporter"}  # both folded
    assert results["postgres"] == results["sqlite"]
    assert results["postgres-window-2"] == results["sqlite"]


async def test_a_rebuild_whose_stream_read_fails_keeps_the_old_rows(tmp_path, database_url,
                                                                    monkeypatch):
    # The rebuild empties the tables first and writes a pull at a time, all in one
    # transaction: if the read fails half-way, the read model must be as it was, not half.
    standards = load_standards()
    messages = synthetic_messages(4)
    store, spec = desk_store(Settings(data_dir=tmp_path, database_url=database_url), standards)
    try:
        rebuild.bulk_rebuild(store, spec, [messages])
        before = rows(store)
        assert len(before["ticket_state"]) == 4

        async def broken_read(connection, subjects, *args, **kwargs):
            yield messages[:3]
            raise ConnectionError("nats-server hilang di tengah jalan")

        monkeypatch.setattr(rebuild, "stream_batches", broken_read)
        try:
            await rebuild.rebuild_from_stream(None, store, spec)
        except ConnectionError:
            pass
        else:
            raise AssertionError("the failed read was not reported")
        assert rows(store) == before
    finally:
        store.close()
