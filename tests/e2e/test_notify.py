"""Mails about a ticket's life, delivered to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest
from conftest import eventually, make_settings, running_helpdesk
from scenario import Desk

from lpse_helpdesk.platform.store import Stored, from_utc_text
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas import new_envelope
from lpse_helpdesk.services.notify import outgoing

REPORTER = "budi@contoh.co.id"
UNIT_BOX = "lpsepemkabbatubara@yahoo.co.id"  # Batu Bara's helpdesk address (seed 000)


@pytest.fixture
async def hd(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as running:
        running.runtime.service("notify").app.base_delay = 0.2
        yield running


async def test_the_reporter_and_staff_get_exactly_the_mails_of_a_tickets_life(hd, sink):
    d = Desk(hd, "batubara")
    helpdesk, ppe = await d.staff("hd.btb", "helpdesk"), await d.staff("ppe.btb", "admin_ppe")
    t = await d.report(reporter={"name": "Budi", "email": REPORTER},
                       subject="Tidak bisa kirim penawaran", description="Tombol kirim error")
    n = t["number"]
    await d.act(helpdesk, t, "reply", {"message": "Sedang kami periksa."})
    await d.act(helpdesk, t, "request-info", {"message": "Mohon kirim tangkapan layar."})
    await d.reporter(t, "replies", {"message": "Terlampir tangkapan layarnya."})
    # Not "the last entry": the mail this reply causes may already follow it in the timeline.
    await d.until(t, lambda x: x["status"] == "open" and any(
        e["type"] == "ticket.reporter_replied" for e in x["timeline"]), "balasan pelapor")
    await d.act(helpdesk, t, "escalate", {"reason": "perlu Admin PPE"})
    await d.until(t, lambda x: x["tier"] == "admin_ppe", "di Admin PPE")
    await d.act(ppe, t, "answer", {"message": "Jadwal sudah diperbaiki."})
    await d.until(t, lambda x: x["tier"] == "helpdesk", "kembali")
    await d.act(helpdesk, t, "close", {"resolution": "Jadwal tender diperbaiki."})

    expected = Counter({
        (REPORTER, f"[{n}] Laporan Anda sudah kami terima"): 1,
        (REPORTER, f"[{n}] Jawaban Helpdesk atas laporan Anda"): 1,
        (REPORTER, f"[{n}] Helpdesk membutuhkan keterangan tambahan"): 1,
        (REPORTER, f"[{n}] Laporan Anda diteruskan ke Admin PPE"): 1,
        (REPORTER, f"[{n}] Laporan Anda telah diselesaikan"): 1,
        (UNIT_BOX, f"[{n}] Tiket baru: Tidak bisa kirim penawaran"): 1,
        (UNIT_BOX, f"[{n}] Balasan pelapor: Tidak bisa kirim penawaran"): 1,
        (UNIT_BOX, f"[{n}] Eskalasi ke Admin PPE: Tidak bisa kirim penawaran"): 1,
        (UNIT_BOX, f"[{n}] Jawaban dari Admin PPE: Tidak bisa kirim penawaran"): 1,
    })
    await eventually(lambda: sink.subjects() == expected, timeout=20,
                     what=f"surat yang diharapkan (ada: {sink.subjects()})")
    await asyncio.sleep(1.0)
    assert sink.subjects() == expected  # and nothing more
    received = next(m for to, m in sink.messages if "sudah kami terima" in str(m["Subject"]))
    text = received.get_body(("plain",)).get_content()
    assert "Yth. Budi" in text and received.get_body(("html",)) is not None
    link = next(word for word in text.split() if "/portal/status?" in word)
    # The portal may trade the link's token for a cookie and redirect to an address without it.
    page = await hd.http.get(link.removeprefix(str(hd.http.base_url).rstrip("/")),
                             follow_redirects=True)
    assert page.status_code == 200 and f"Tiket {n}" in page.text  # the link opens the portal
    closed = next(m for to, m in sink.messages if "diselesaikan" in str(m["Subject"]))
    closed_text = closed.get_body(("plain",)).get_content()
    assert "Jadwal tender diperbaiki." in closed_text and "Survei Kepuasan" in closed_text
    assert f"/portal/status?nomor={n}&token=" in closed_text and "#survei" in closed_text
    view = await d.until(t, lambda x: sum(e["type"] == "ticket.notification_sent"
                                          for e in x["timeline"]) == 9, "riwayat notifikasi",
                         who=helpdesk)
    assert view["status"] == "closed"
    mine = await d.view(t)  # the reporter's view: who was mailed, and how it went, is staff-only
    assert mine["status"] == "closed" and not [
        e for e in mine["timeline"] if e["type"].startswith("ticket.notification_")]


async def test_mail_server_down_then_back_all_arrive_none_twice(hd, sink):
    sink.stop()
    d = Desk(hd, "batubara")
    created = [await d.report(reporter={"name": f"P{i}", "email": f"p{i}@contoh.id"})
               for i in range(3)]
    notify = hd.runtime.service("notify").store
    await eventually(lambda: notify.query(
        "SELECT COUNT(*) FROM notify_mails WHERE attempts >= 1 AND status = 'pending'")[0][0] == 6,
        timeout=20, what="percobaan gagal tercatat")
    helpdesk = await d.staff("hd.btb", "helpdesk")
    view = await d.until(created[0], lambda x: any(
        e["type"] == "ticket.notification_failed" for e in x["timeline"]), "kegagalan tampil",
        who=helpdesk)
    failed = next(e["event"] for e in view["timeline"] if e["type"] == "ticket.notification_failed")
    assert failed["will_retry"] is True and failed["error"]

    sink.start()
    await eventually(lambda: len(sink.messages) == 6, timeout=30, what="enam surat tiba")
    await asyncio.sleep(1.5)
    ids = [str(m["Message-ID"]) for _, m in sink.messages]
    assert len(ids) == 6 and len(set(ids)) == 6


async def test_event_redelivered_after_a_crash_sends_no_second_mail(hd, sink, nats_server):
    import nats

    d = Desk(hd, "batubara")
    t = await d.report(reporter={"name": "Budi", "email": REPORTER})
    await eventually(lambda: len(sink.messages) == 2, what="dua surat")
    consumer = hd.runtime.service("notify").consumers[0]
    nc = await nats.connect(nats_server.url)
    msg = await nc.jetstream().get_last_msg("TICKETS", "helpdesk.batubara.ticket.received")
    assert msg.headers["Helpdesk-Ticket"] == t["id"]
    await nc.close()
    # The same delivery again, as after a crash between deciding and acking.
    assert await consumer.process(msg.subject, msg.data, msg.seq, attempt=2) == "duplicate"
    await asyncio.sleep(1.5)
    assert len(sink.messages) == 2


async def test_staff_are_warned_once_before_a_clock_runs_out(tmp_path, nats_server, sink):
    from datetime import UTC, datetime, timedelta

    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings, now=lambda: now["t"]) as hd:
        d = Desk(hd, "batubara")
        t = await d.report(reporter={"name": "Budi", "email": REPORTER})
        notify = hd.runtime.service("notify").store
        [(warn_at, due_at)] = await eventually(lambda: notify.query(
            "SELECT warn_at, due_at FROM notify_sla_watch WHERE target = 'first_response'"),
            what="jam dipantau")
        await eventually(lambda: len(sink.messages) == 2, what="dua surat awal")
        now["t"] = from_utc_text(warn_at) + timedelta(seconds=1)
        assert now["t"] < from_utc_text(due_at)
        subject = f"[{t['number']}] Peringatan: batas waktu tanggapan pertama segera tiba"
        await eventually(lambda: any(str(m["Subject"]).startswith(subject) for _, m in sink.messages),
                         what="peringatan")
        await asyncio.sleep(1.5)  # more ticks: no second warning
        assert sum(str(m["Subject"]).startswith(subject) for _, m in sink.messages) == 1
        assert len(sink.messages) == 3


async def test_automatic_escalation_tells_the_head_of_unit_once(tmp_path, nats_server, sink):
    from datetime import UTC, datetime, timedelta

    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings, now=lambda: now["t"]) as hd:
        d = Desk(hd, "batam")  # Batam: helpdesk tier deadline 4 working hours; Kepala Unit monitors
        t = await d.report(reporter={"name": "Budi", "email": REPORTER})
        escalation = hd.runtime.service("escalation").store
        [(due_at,)] = await eventually(lambda: escalation.query(
            "SELECT due_at FROM escalation_sla_clocks WHERE target = 'tier_deadline'"
            " AND due_at IS NOT NULL"), what="tenggat tingkat")
        now["t"] = from_utc_text(due_at) + timedelta(seconds=1)
        subject = f"[{t['number']}] Perhatian Kepala Unit: eskalasi otomatis"
        await eventually(lambda: any(str(m["Subject"]) == subject for _, m in sink.messages),
                         timeout=20, what="Kepala Unit diberi tahu")
        await asyncio.sleep(2)
        assert sum(str(m["Subject"]) == subject for _, m in sink.messages) == 1
        to = next(to for to, m in sink.messages if str(m["Subject"]) == subject)
        assert to == "lpse@batam.go.id"  # no [notify] roles: the unit's helpdesk address


async def test_a_crash_mid_round_resends_only_the_mail_in_flight(hd, sink):
    """The worst moment to die: a mail has left but its outcome is not stored yet. Only that
    mail goes out twice (same Message-ID); those before it are recorded as sent."""
    app = hd.runtime.service("notify").app

    async def idle():  # the sender loop stays out of the way; this test drives it
        return 0

    app.send_due = idle
    await asyncio.sleep(app.interval + 0.2)  # a round begun before has ended
    d = Desk(hd, "batubara")
    numbers = [(await d.report(reporter={"name": f"P{i}", "email": f"p{i}@contoh.id"}))["number"]
               for i in range(3)]

    def pending() -> list[tuple]:
        return sorted(outgoing.due(app.store, ["batubara"], "9999", 100))

    await eventually(lambda: len(pending()) == 6, what="enam surat menunggu")
    rows = pending()

    class Crash(Exception):
        pass

    delivered, stored = app._delivered, []

    def dies_on_the_third(mail_id, *args):
        if len(stored) == 2:
            raise Crash  # the third mail was delivered; the process dies before storing that
        stored.append(mail_id)
        return delivered(mail_id, *args)

    app._delivered = dies_on_the_third
    with pytest.raises(Crash):
        await app._deliver_round(rows)
    assert len(sink.messages) == 3
    del app._delivered
    await type(app).send_due(app)  # the restarted sender
    ids = Counter(str(m["Message-ID"]) for _, m in sink.messages)
    assert len(ids) == 6 and [n for n in ids.values() if n > 1] == [2]
    [twice] = [i for i, n in ids.items() if n > 1]
    assert twice.endswith(f".{rows[2][0]}@yahoo.co.id>") and twice.startswith("<lpse.BTB-")
    # The two stored deliveries got their timeline events after the restart, once each.
    assert app.store.query("SELECT status, COUNT(*) FROM notify_mails GROUP BY status") == [
        ("sent", 6)]
    helpdesk = await d.staff("hd.btb", "helpdesk")

    async def timeline_sent() -> int:
        views = [await d.view({"number": n}, helpdesk) for n in numbers]
        return sum(e["type"] == "ticket.notification_sent" for v in views for e in v["timeline"])

    async def six() -> bool:
        return await timeline_sent() == 6

    await eventually(six, what="enam notifikasi di riwayat")
    await asyncio.sleep(0.5)
    assert await timeline_sent() == 6


async def test_a_rounds_outcomes_are_recorded_together_each_ticket_in_version_order(hd):
    """One record for a round: two outcomes of one ticket get consecutive versions, and a
    version another writer took meanwhile makes the whole record go again, not fail."""
    app = hd.runtime.service("notify").app
    t = await Desk(hd, "batubara").report(reporter={"name": "Budi", "email": REPORTER})
    ticket = uuid.UUID(t["id"])
    await eventually(lambda: app.store.query(
        "SELECT COUNT(*) FROM notify_mails WHERE status = 'sent'")[0][0] == 2, what="dua surat")
    before = app.store.next_version(ticket)
    stale, real = [before], app.store.next_version
    app.store.next_version = lambda tid: stale.pop() if stale else real(tid)  # a lost race once
    taken = ev.NotificationSent(**new_envelope(ticket, "batubara"), channel="email",
                                recipient="x@contoh.id", template="received", attempt=1)
    app.store.record([Stored(taken, ticket, before)])  # the other writer's event
    try:
        app._record_outcomes([("a", str(ticket), "batubara", "received", REPORTER, 1, None,
                               "sent", None),
                              ("b", str(ticket), "batubara", "new_ticket", UNIT_BOX, 2, "sibuk",
                               "pending", None)])
    finally:
        del app.store.next_version
    history = app.store.history(ticket)
    assert [s.originator_version for s in history][-3:] == [before, before + 1, before + 2]
    assert [type(s.event).__name__ for s in history][-2:] == ["NotificationSent",
                                                              "NotificationFailed"]
