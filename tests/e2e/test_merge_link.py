"""Merging a duplicate into another ticket of its unit (both timelines show it, the duplicate
closes, its reporter is mailed) and linking related tickets, with the refusals. Real
nats-server, real HTTP, a real SMTP sink."""

from __future__ import annotations

import asyncio

from conftest import eventually, make_settings, running_helpdesk
from scenario import Desk, types


async def test_merge_closes_the_duplicate_both_timelines_show_it_and_its_reporter_is_told(
        tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        batam, lampung = Desk(hd, "batam"), Desk(hd, "lampung")
        satu = await batam.staff("hd.satu", "helpdesk")
        luar = await lampung.staff("hd.lpg", "helpdesk")
        main = await batam.report(subject="SPSE tidak bisa diakses",
                                  reporter={"name": "Ani", "email": "ani@contoh.co.id"})
        dup = await batam.report(subject="SPSE down sejak pagi",
                                 reporter={"name": "Budi", "email": "budi@contoh.co.id"})
        other = await lampung.report(subject="SPSE down juga")
        closed = await batam.report(subject="Lupa kata sandi")
        await batam.act(satu, closed, "close", {"resolution": "Sandi diatur ulang."})

        # Refusals: another unit's ticket 403, itself and a closed ticket 409, unknown 404.
        await batam.act(satu, dup, "merge", {"into": other["number"]}, expect=403)
        await lampung.act(luar, other, "merge", {"into": dup["number"]}, expect=403)
        await batam.act(satu, dup, "merge", {"into": dup["number"]}, expect=409)
        await batam.act(satu, dup, "merge", {"into": closed["number"]}, expect=409)
        await batam.act(satu, dup, "merge", {"into": "BTM-1999-999999"}, expect=404)
        await batam.act(satu, dup, "merge", {"tujuan": main["number"]}, expect=400)

        done = await batam.act(satu, dup, "merge", {"into": main["number"]})
        assert (done["type"], done["status"]) == ("ticket.merged", "closed")
        merged = await batam.until(dup, lambda t: t["status"] == "closed", "duplikat ditutup",
                                   who=satu)
        entry = next(e for e in merged["timeline"] if e["type"] == "ticket.merged")
        assert entry["event"]["into"] == main["number"]
        assert entry["event"]["actor"]["id"] == satu
        survivor = await batam.until(main, lambda t: "merge_received" in types(t),
                                     "penggabungan di tiket utama", who=satu)
        assert survivor["status"] != "closed"
        received = next(e for e in survivor["timeline"] if e["type"] == "ticket.merge_received")
        assert received["event"]["duplicate"] == dup["number"]
        # The duplicate's reporter sees the merge; the survivor's reporter sees no other ticket.
        assert "merged" in types(await batam.view(dup))
        assert "merge_received" not in types(await batam.view(main))
        # Merged once: a second merge, or a merge into the merged ticket, is a conflict.
        await batam.act(satu, dup, "merge", {"into": main["number"]}, expect=409)
        await batam.act(satu, main, "merge", {"into": dup["number"]}, expect=409)

        # The duplicate's reporter saying "not solved" reopens nothing: the work goes on in main.
        await batam.reporter(dup, "feedback", {"solved": False, "message": "masih gagal"})
        await batam.until(dup, lambda t: "reporter_feedback" in types(t), "tanggapan pelapor")
        await asyncio.sleep(1.0)
        assert (await batam.view(dup, satu))["status"] == "closed"

        subject = f"[{dup['number']}] Tiket Anda digabung ke tiket {main['number']}"
        await eventually(lambda: ("budi@contoh.co.id", subject) in sink.subjects(), timeout=20,
                         what=f"surat penggabungan (ada: {sink.subjects()})")
        mail = next(m for to, m in sink.messages if str(m["Subject"]) == subject)
        assert main["number"] in mail.get_body(("plain",)).get_content()
        assert not [s for to, s in sink.subjects() if s.startswith(f"[{dup['number']}]")
                    and "diselesaikan" in s]  # a merge is not mailed as a close too


async def test_link_shows_on_both_tickets_once(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        batam, lampung = Desk(hd, "batam"), Desk(hd, "lampung")
        satu = await batam.staff("hd.satu", "helpdesk")
        a = await batam.report(subject="Gagal unggah dokumen penawaran")
        b = await batam.report(subject="Unggah dokumen lambat")
        other = await lampung.report(subject="Unggah gagal")
        await batam.act(satu, b, "close", {"resolution": "Server dipulihkan."})

        done = await batam.act(satu, a, "link", {"to": b["number"]})  # a closed one may be linked
        assert done["type"] == "ticket.linked"
        for ticket, to in ((a, b), (b, a)):
            view = await batam.until(ticket, lambda t: "linked" in types(t), "tautan", who=satu)
            links = [e["event"]["to"] for e in view["timeline"] if e["type"] == "ticket.linked"]
            assert links == [to["number"]]
        await batam.act(satu, b, "link", {"to": a["number"]}, expect=409)  # already linked
        await batam.act(satu, a, "link", {"to": a["number"]}, expect=409)
        await batam.act(satu, a, "link", {"to": other["number"]}, expect=403)
        assert "linked" not in types(await batam.view(a))  # staff work, not the reporter's
