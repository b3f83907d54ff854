"""Each unit's published procedure (docs/seeds/) run end to end over HTTP and NATS."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest

from conftest import make_settings, running_helpdesk
from scenario import Desk, types


@pytest.fixture
async def hd(tmp_path, nats_server):
    async with running_helpdesk(make_settings(tmp_path, nats_server.url)) as running:
        yield running


async def test_batubara_helpdesk_to_admin_ppe_and_back(hd):
    """Seed 000: the helpdesk answers the LPSE Support ticket; what it cannot solve goes to
    Admin PPE, who answers back to the helpdesk to inform the reporter and close."""
    d = Desk(hd, "batubara")
    helpdesk, ppe = await d.staff("hd.btb", "helpdesk"), await d.staff("ppe.btb", "admin_ppe")
    t = await d.report(subject="Tidak bisa kirim penawaran",
                       description="Tombol kirim penawaran error terus di SPSE")
    await d.act(helpdesk, t, "reply", {"message": "Kami cek dulu ya, Pak."})
    await d.act(ppe, t, "escalate", {"reason": "bukan tingkat PPE"}, expect=403)  # helpdesk's tier
    r = await d.act(helpdesk, t, "escalate", {"reason": "perlu akses Admin PPE"})
    assert r["tier"] == "admin_ppe" and r["status"] == "escalated"
    await d.until(t, lambda x: x["tier"] == "admin_ppe", "di Admin PPE")
    await d.act(helpdesk, t, "close", {"resolution": "x"}, expect=409)  # not while at PPE
    await d.act(ppe, t, "answer", {"message": "Jadwal tender sudah diperbaiki Admin PPE."})
    await d.until(t, lambda x: x["tier"] == "helpdesk" and x["status"] == "open", "kembali")
    await d.act(helpdesk, t, "reply", {"message": "Jadwal sudah diperbaiki, silakan kirim lagi."})
    await d.act(helpdesk, t, "close", {"resolution": "Jadwal tender diperbaiki oleh Admin PPE",
                                       "publish_faq": True})
    await d.reporter(t, "feedback", {"solved": True, "message": "Terima kasih"})
    done = await d.until(t, lambda x: "reporter_feedback" in types(x), "konfirmasi pelapor")
    assert done["status"] == "closed"
    assert types(done) == ["received", "classified", "replied", "escalated_to_coordinator",
                           "escalation_answered", "replied", "closed", "reporter_feedback"]
    closed = done["timeline"][6]["event"]
    # The reporter's view: a display name (here the role's), never the username.
    assert closed["actor"] == {"id": "Petugas Helpdesk", "role": "helpdesk"}
    assert closed["publish_faq"]


async def test_lampung_eight_step_procedure_with_the_coordinator(hd):
    """Seed 001: receive (guest book), record and classify, follow up, escalate to the
    Koordinator Helpdesk who monitors and recommends, inform and close."""
    d = Desk(hd, "lampung")
    helpdesk, koord = await d.staff("hd.lpg", "helpdesk"), await d.staff("koord.lpg", "koordinator")
    t = await d.report(channel="walk_in", subject="Verifikasi akun penyedia belum selesai",
                       description="Sudah bawa dokumen, akun belum diverifikasi sejak minggu lalu")
    await d.act(helpdesk, t, "classify", {"category": "permasalahan",
                                          "reason": "akun tertahan, berdampak ke tender"})
    await d.act(helpdesk, t, "notes", {"message": "Dokumen lengkap, cek di SIKaP."})
    await d.act(helpdesk, t, "escalate", {"reason": "data SIKaP tidak sinkron"})
    await d.until(t, lambda x: x["tier"] == "koordinator", "di Koordinator")
    await d.act(koord, t, "escalate", {"reason": "x"}, expect=409)  # Lampung's chain ends here
    await d.act(koord, t, "notes", {"message": "Rekomendasi: sinkronkan ulang data SIKaP."})
    await d.act(koord, t, "answer", {"message": "Sinkronisasi ulang sudah dilakukan."})
    await d.until(t, lambda x: x["tier"] == "helpdesk", "kembali ke helpdesk")
    await d.act(helpdesk, t, "close", {"resolution": "Akun terverifikasi setelah sinkronisasi"})
    staff_view = await d.until(t, lambda x: x["status"] == "closed", "ditutup", who=koord)
    assert types(staff_view) == ["received", "classified", "classified", "note_added",
                                 "escalated_to_coordinator", "note_added", "escalation_answered",
                                 "closed"]
    reporter_view = await d.view(t)
    assert "note_added" not in types(reporter_view)  # internal notes never reach the reporter
    assert reporter_view["category"] == "permasalahan"


async def test_tuban_helpdesk_to_lkpp(hd):
    """Seed 002: by email; what the helpdesk cannot solve goes to LKPP."""
    d = Desk(hd, "tuban")
    helpdesk = await d.staff("hd.tbn", "helpdesk")
    t = await d.report(channel="email", subject="Error saat upload dokumen kualifikasi",
                       description="Upload gagal dengan pesan error 500 berulang kali")
    r = await d.act(helpdesk, t, "escalate", {"reason": "error aplikasi SPSE, perlu LKPP"})
    assert r["tier"] == "lkpp" and r["type"] == "ticket.escalated_to_lkpp"
    await d.until(t, lambda x: x["tier"] == "lkpp", "di LKPP")
    await d.act(helpdesk, t, "escalate", {"reason": "x"}, expect=409)  # past the end of the chain
    await d.act(helpdesk, t, "answer", {"message": "LKPP: perbaikan dirilis, silakan ulangi."})
    await d.until(t, lambda x: x["tier"] == "helpdesk", "jawaban LKPP kembali")
    await d.act(helpdesk, t, "close", {"resolution": "Diperbaiki LKPP"})
    await d.act(helpdesk, t, "close", {"resolution": "lagi"}, expect=409)  # closing a closed one


async def test_basarnas_three_times_24_hours_once_at_lkpp(hd):
    """Seed 003: 1 working day, 3x24 hours once Helpdesk LKPP is involved."""
    d = Desk(hd, "basarnas")
    helpdesk, ppe = await d.staff("hd.bsn", "helpdesk"), await d.staff("ppe.bsn", "admin_ppe")
    t = await d.report(subject="Sertifikat elektronik tidak terbaca",
                       description="Aplikasi SPAMKODOK gagal membaca sertifikat, screenshot terlampir")
    before = await d.view(t)
    await d.act(helpdesk, t, "escalate", {"reason": "perlu Admin PPE"})
    await d.until(t, lambda x: x["tier"] == "admin_ppe", "di Admin PPE")
    await d.act(ppe, t, "escalate", {"reason": "butuh konfirmasi Helpdesk LKPP"})
    at_lkpp = await d.until(t, lambda x: x["tier"] == "lkpp", "di LKPP")
    received = datetime.fromisoformat(at_lkpp["timeline"][0]["occurred_at"])
    assert datetime.fromisoformat(at_lkpp["resolution_due"]) == received + timedelta(hours=72)
    assert at_lkpp["resolution_due"] != before["resolution_due"]
    await d.act(ppe, t, "answer", {"message": "Jawaban LKPP: perbarui sertifikat di BSrE."})
    await d.until(t, lambda x: x["tier"] == "helpdesk", "kembali")
    await d.act(helpdesk, t, "close", {"resolution": "Sertifikat diperbarui", "publish_faq": True})


async def test_batam_walk_in_and_email_with_the_head_of_unit_monitoring(hd):
    """Seed 004: walk-in with a queue number and email procedures; the Kepala Unit monitors and
    recommends; the helpdesk closes back to the reporter, who may say it is not solved."""
    d = Desk(hd, "batam")
    helpdesk = await d.staff("hd.btm", "helpdesk")
    koord, head = await d.staff("koord.btm", "koordinator"), await d.staff("kepala.btm", "kepala_unit")
    walk_in = await d.report(channel="walk_in", subject="Gagal login e-katalog",
                             description="Tidak bisa masuk e-katalog sejak kemarin")
    await d.act(helpdesk, walk_in, "escalate", {"reason": "perlu Koordinator"})
    await d.until(walk_in, lambda x: x["tier"] == "koordinator", "di Koordinator")
    await d.act(head, walk_in, "answer", {"message": "x"}, expect=403)  # monitors, not answers
    await d.act(head, walk_in, "notes", {"message": "Rekomendasi: reset akun lewat LKPP."})
    await d.act(koord, walk_in, "answer", {"message": "Akun sudah direset."})
    await d.until(walk_in, lambda x: x["tier"] == "helpdesk", "kembali")
    await d.act(helpdesk, walk_in, "close", {"resolution": "Akun e-katalog direset"})
    await d.reporter(walk_in, "feedback", {"solved": False, "message": "Masih gagal login"})
    reopened = await d.until(walk_in, lambda x: x["status"] == "open" and "reopened" in types(x),
                             "dibuka kembali")
    event = reopened["timeline"][-1]["event"]
    assert event["actor"]["role"] == "reporter" and event["assignee"] == "Petugas Helpdesk"
    staff_view = await d.view(walk_in, helpdesk)  # staff see who takes it again
    assert staff_view["timeline"][-1]["event"]["assignee"] == "hd.btm"

    mail = await d.report(channel="email", reporter={"name": "Dewi", "email": "dewi@cv.id"},
                          subject="Tanya jadwal pelatihan SPSE",
                          description="Kapan ada pelatihan untuk penyedia baru?")
    await d.act(helpdesk, mail, "reply", {"message": "Pelatihan tiap Kamis pertama."})
    await d.act(helpdesk, mail, "close", {"resolution": "Informasi jadwal diberikan"})


async def test_another_unit_cannot_act_and_racing_closes_have_one_winner(hd, monkeypatch):
    batam, lampung = Desk(hd, "batam"), Desk(hd, "lampung")
    outsider = await batam.staff("hd2.btm", "helpdesk")
    one, two = await lampung.staff("hd1.lpg", "helpdesk"), await lampung.staff("hd2.lpg", "helpdesk")
    t = await lampung.report()
    lampung.tokens[outsider] = batam.tokens[outsider]
    r = await lampung.act(outsider, t, "close", {"resolution": "x"}, expect=403)
    assert "unit `lampung`" in r["detail"]

    # Hold both requests right after they read the ticket, so both decide on the same state:
    # without the version check both would close it.
    from lpse_helpdesk.services.desk import application as desk_app

    barrier, load = threading.Barrier(2, timeout=10), desk_app.history.load

    def load_then_wait(store, ticket_id):
        loaded = load(store, ticket_id)
        if sys._getframe(1).f_code.co_name == "decide":  # staff actions only, not projections
            if barrier.wait() == 0:
                time.sleep(0.3)  # one writer goes clearly after the other has stored
        return loaded

    for round_ in range(3):  # several rounds: the race must never let both through
        ticket = await lampung.report(subject=f"Lupa password {round_}",
                                      description="Mohon reset password akun SPSE saya")
        barrier.reset()
        monkeypatch.setattr(desk_app.history, "load", load_then_wait)
        headers = [{"Authorization": f"Bearer {lampung.tokens[u]}"} for u in (one, two)]
        url = f"/api/v1/tickets/{ticket['number']}/close"
        results = await asyncio.gather(*(
            hd.http.post(url, json={"resolution": f"ditutup oleh {i}"}, headers=h)
            for i, h in enumerate(headers)))
        monkeypatch.setattr(desk_app.history, "load", load)
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        assert "staf lain" in next(r.json()["detail"] for r in results if r.status_code == 409)
        view = await lampung.until(ticket, lambda x: x["status"] == "closed", "ditutup")
        assert types(view).count("closed") == 1

    # Across services: the desk closes while escalation escalates, on the same state.
    for round_ in range(3):
        ticket = await lampung.report(subject=f"Gagal unggah {round_}",
                                      description="Error saat unggah dokumen penawaran")
        barrier.reset()
        monkeypatch.setattr(desk_app.history, "load", load_then_wait)
        h1, h2 = ({"Authorization": f"Bearer {lampung.tokens[u]}"} for u in (one, two))
        base = f"/api/v1/tickets/{ticket['number']}"
        results = await asyncio.gather(
            hd.http.post(f"{base}/close", json={"resolution": "selesai"}, headers=h1),
            hd.http.post(f"{base}/escalate", json={"reason": "perlu koordinator"}, headers=h2))
        monkeypatch.setattr(desk_app.history, "load", load)
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        winner = next(r.json()["type"] for r in results if r.status_code == 200)
        view = await lampung.until(ticket, lambda x: winner.removeprefix("ticket.") in types(x),
                                   "pemenang tampil")
        assert not ({"closed", "escalated_to_coordinator"} <= set(types(view)))


async def test_queues_and_head_of_unit_figures(hd):
    d = Desk(hd, "basarnas")
    helpdesk, head = await d.staff("hd.bsn2", "helpdesk"), await d.staff("kepala.bsn", "kepala_unit")
    batam = Desk(hd, "batam")
    outsider = await batam.staff("kepala.btm2", "kepala_unit")
    a = await d.report(subject="Error upload penawaran", description="Gagal upload, error 500")
    b = await d.report(subject="Mohon info pelatihan", description="Kapan jadwal pelatihan SPSE?")
    c = await d.report(subject="Akun terkunci", description="Akun SPSE terkunci berulang kali")
    await d.act(helpdesk, b, "close", {"resolution": "Jadwal dikirim"})
    await d.act(helpdesk, c, "escalate", {"reason": "perlu Admin PPE"})
    await d.until(c, lambda x: x["tier"] == "admin_ppe", "dieskalasi")
    await d.until(b, lambda x: x["status"] == "closed", "ditutup")
    headers = {"Authorization": f"Bearer {d.tokens[helpdesk]}"}

    queue = (await hd.http.get("/api/v1/queues", params={"tenant": "basarnas"}, headers=headers)).json()
    assert [q["number"] for q in queue] == sorted(
        [a["number"], c["number"]], key=lambda n: next(q["seconds_left"] for q in queue if q["number"] == n))
    assert all(q["seconds_left"] > 0 and not q["overdue"] for q in queue)
    at_ppe = (await hd.http.get("/api/v1/queues", params={"tenant": "basarnas", "tier": "admin_ppe"},
                                headers=headers)).json()
    assert [q["number"] for q in at_ppe] == [c["number"]]

    url = "/api/v1/units/basarnas/figures"
    figures = (await hd.http.get(url, headers={"Authorization": f"Bearer {d.tokens[head]}"})).json()
    assert figures["open"] == 2 and figures["closed"] == 1 and figures["escalated"] == 1
    assert figures["closed_within_target"] == 1 and figures["closed_within_target_share"] == 1.0
    assert figures["by_tier"] == {"helpdesk": 1, "admin_ppe": 1}
    assert sum(v["open"] + v["closed"] for v in figures["by_category"].values()) == 3
    assert (await hd.http.get(url, headers=headers)).status_code == 403  # helpdesk: not figures
    other = {"Authorization": f"Bearer {batam.tokens[outsider]}"}
    assert (await hd.http.get(url, headers=other)).status_code == 403  # another unit's head
