"""Assignment (assign, claim, unassign; the assignee in the ticket view and the queue's column and
filter) and the staff search over every ticket, open and closed, a page at a time. Real
nats-server, real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from conftest import eventually, make_settings, running_helpdesk
from scenario import Desk, types


def bearer(desk: Desk, who: str) -> dict:
    return {"Authorization": f"Bearer {desk.tokens[who]}"}


async def queue(desk: Desk, who: str, **params) -> list[dict]:
    r = await desk.hd.http.get("/api/v1/queues", params={"tenant": desk.tenant, **params},
                               headers=bearer(desk, who))
    assert r.status_code == 200, r.text
    return r.json()


async def search(desk: Desk, who: str, expect: int = 200, **params) -> dict:
    r = await desk.hd.http.get("/api/v1/tickets", params={"tenant": desk.tenant, **params},
                               headers=bearer(desk, who))
    assert r.status_code == expect, r.text
    return r.json()


async def test_assign_claim_unassign_and_the_assignee_in_view_and_queue(
        tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings) as hd:
        batam, lampung = Desk(hd, "batam"), Desk(hd, "lampung")
        koor = await batam.staff("koor.btm", "koordinator")
        satu = await batam.staff("hd.satu", "helpdesk")
        dua = await batam.staff("hd.dua", "helpdesk")
        luar = await lampung.staff("hd.lpg", "helpdesk")
        a = await batam.report(subject="Tidak bisa login SPSE")
        b = await batam.report(subject="Gagal unggah penawaran")

        done = await batam.act(koor, a, "assign", {"assignee": dua})
        assert done["type"] == "ticket.assigned" and done["status"] == "open"
        staff_view = await batam.until(a, lambda t: t["assignee"] == dua, "ditugaskan", who=koor)
        assert types(staff_view)[-1] == "assigned"
        assert staff_view["timeline"][-1]["event"]["actor"]["id"] == koor
        reporter_view = await batam.view(a)
        assert reporter_view["assignee"] == "" and "assigned" not in types(reporter_view)

        # The assignee must be an active staff user of the ticket's unit.
        for nobody in (luar, "tidak.ada"):
            refused = await batam.act(koor, a, "assign", {"assignee": nobody}, expect=400)
            assert refused["field"] == "assignee" and "bukan staf aktif" in refused["detail"]
        await batam.act(koor, a, "assign", {"assignee": "spasi salah"}, expect=400)
        # Staff of another unit touch nothing here.
        r = await hd.http.post(f"/api/v1/tickets/{b['number']}/claim",
                               headers=bearer(lampung, luar))
        assert r.status_code == 403, r.text

        claimed = await batam.act(satu, b, "claim", {})
        assert claimed["type"] == "ticket.assigned"
        await batam.act(satu, b, "claim", {}, expect=409)  # already theirs

        async def assigned_queue():
            items = {i["number"]: i["assignee"] for i in await queue(batam, koor)}
            return items if items == {a["number"]: dua, b["number"]: satu} else None

        await eventually(assigned_queue, what="kolom assignee di antrean")
        # Paged in SQL: the same order a page at a time, each ticket once, the cursor in
        # X-Next-Cursor and the whole queue's counts on every page; in every order.
        whole = [i["number"] for i in await queue(batam, koor)]
        for sort, order in (("urgency", "asc"), ("number", "desc"), ("priority", "asc"),
                            ("assignee", "desc")):
            paged, after = [], None
            for _ in range(3):
                r = await hd.http.get("/api/v1/queues", headers=bearer(batam, koor), params={
                    "tenant": "batam", "limit": 1, "sort": sort, "order": order,
                    **({"after": after} if after else {})})
                assert r.status_code == 200 and r.headers["x-total-count"] == "2", r.text
                assert r.headers["x-overdue-count"] == "0"
                paged += [i["number"] for i in r.json()]
                after = r.headers.get("x-next-cursor")
                if not after:
                    break
                assert 'rel="next"' in r.headers["link"] and "limit=1" in r.headers["link"]
            assert sorted(paged) == sorted(whole) and len(paged) == 2, (sort, paged)
            if sort == "urgency":
                assert paged == whole  # the default order
            if sort == "number":
                assert paged == sorted(whole, reverse=True)
        first = await hd.http.get("/api/v1/queues", headers=bearer(batam, koor),
                                  params={"tenant": "batam", "limit": 1, "sort": "number"})
        for bad, field in (({"limit": 201}, "limit"), ({"limit": 0}, "limit"),
                           ({"after": "bukan-kursor"}, "after"), ({"sort": "acak"}, "sort"),
                           # a cursor of the number order is not one of the priority order
                           ({"after": first.headers["x-next-cursor"], "sort": "priority"},
                            "after")):
            r = await hd.http.get("/api/v1/queues", headers=bearer(batam, koor),
                                  params={"tenant": "batam", **bad})
            assert r.status_code == 400 and field in r.text, (bad, r.text)
        mine = await queue(batam, satu, assignee=satu)
        assert [i["number"] for i in mine] == [b["number"]]

        await batam.act(dua, a, "unassign", {})
        await batam.act(dua, a, "unassign", {}, expect=409)  # nobody has it any more
        await batam.until(a, lambda t: t["assignee"] == "", "dilepas", who=koor)

        async def unassigned():
            return not await queue(batam, koor, assignee=dua)

        await eventually(unassigned, what="antrean hd.dua kosong")
        # A disabled account is no longer an assignee.
        admin = await batam.staff("admin.btm", "admin")
        r = await hd.http.post(f"/api/v1/users/{dua}/disable", headers=bearer(batam, admin))
        assert r.status_code == 200, r.text
        refused = await batam.act(koor, a, "assign", {"assignee": dua}, expect=400)
        assert refused["field"] == "assignee"
        # A closed ticket is not assigned; a staff reopen gives it to whoever reopened it.
        await batam.act(satu, b, "close", {"resolution": "Selesai"})
        await batam.act(koor, b, "assign", {"assignee": dua}, expect=409)
        await batam.act(koor, b, "reopen", {"reason": "belum beres"})
        await batam.until(b, lambda t: t["assignee"] == koor, "dibuka kembali", who=koor)


async def test_search_finds_open_and_closed_tickets_by_text_and_filters_a_page_at_a_time(
        tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings) as hd:
        batam, tuban = Desk(hd, "batam"), Desk(hd, "tuban")
        koor = await batam.staff("koor.btm", "koordinator")
        satu = await batam.staff("hd.satu", "helpdesk")
        other = await tuban.staff("hd.tbn", "helpdesk")
        reporters = [
            {"name": "Siti Rahmawati", "email": "siti@pt-sentosa.co.id", "kind": "penyedia",
             "organization": "PT Sentosa Abadi"},
            {"name": "Budi Santoso", "email": "budi@contoh.co.id", "kind": "ppk",
             "organization": "Dinas PUPR Kota Batam"},
        ]
        made = []
        for i in range(5):
            made.append(await batam.report(
                subject=f"Kendala {['login', 'unggah', 'jadwal', 'sertifikat', 'akun'][i]} SPSE",
                description=f"Uraian ke-{i}: mohon bantuan 100% segera",
                reporter=reporters[i % 2]))
        await tuban.report(subject="Kendala login SPSE di Tuban")
        await batam.act(satu, made[0], "close", {"resolution": "Selesai"})
        await batam.act(satu, made[3], "claim", {})

        async def settled():
            found = await search(batam, koor)
            return found if (found["total"] == 5 and any(
                t["status"] == "closed" for t in found["items"]) and any(
                t["assignee"] == satu for t in found["items"])) else None

        everything = await eventually(settled, what="hasil cari lengkap")
        # Newest first: the order the tickets were received, reversed; Tuban's is not here.
        assert [t["number"] for t in everything["items"]] == [c["number"] for c in made[::-1]]
        assert (everything["page"], everything["per_page"], everything["pages"]) == (1, 25, 1)
        closed = (await search(batam, koor, status="closed"))["items"]
        assert [t["number"] for t in closed] == [made[0]["number"]] and closed[0]["closed_at"]

        # Text: number, subject, description, reporter name, e-mail and organisation; every
        # word must occur; case and the LIKE wildcards do not matter.
        def numbers(found):
            return [t["number"] for t in found["items"]]

        by_number = await search(batam, koor, q=made[2]["number"].lower())
        assert numbers(by_number) == [made[2]["number"]]
        assert numbers(await search(batam, koor, q="SERTIFIKAT")) == [made[3]["number"]]
        assert numbers(await search(batam, koor, q="uraian ke-1")) == [made[1]["number"]]
        sentosa = [made[4]["number"], made[2]["number"], made[0]["number"]]
        assert numbers(await search(batam, koor, q="sentosa")) == sentosa
        assert numbers(await search(batam, koor, q="siti rahmawati")) == sentosa
        assert numbers(await search(batam, koor, q="budi@contoh.co.id")) == [
            made[3]["number"], made[1]["number"]]
        assert numbers(await search(batam, koor, q="dinas akun")) == []
        assert (await search(batam, koor, q="100%"))["total"] == 5
        assert (await search(batam, koor, q="100_"))["total"] == 0
        assert numbers(await search(batam, koor, q="pupr", assignee=satu)) == [made[3]["number"]]
        first = await search(batam, koor, q="login")
        assert numbers(first) == [made[0]["number"]] and first["items"][0]["reporter_name"] == (
            "Siti Rahmawati")

        # Pages: stable, bounded, with the total.
        pages = [await search(batam, koor, per_page=2, page=n) for n in (1, 2, 3, 4)]
        assert [p["total"] for p in pages] == [5] * 4 and pages[0]["pages"] == 3
        assert sum((numbers(p) for p in pages[:3]), []) == [c["number"] for c in made[::-1]]
        assert numbers(pages[3]) == []
        for bad in ({"per_page": 0}, {"per_page": 101}, {"page": 0}, {"from": "kemarin"},
                    {"from": "2026-03-02", "to": "2026-03-01"}):
            await search(batam, koor, expect=400, **bad)
        assert (await search(batam, koor, **{"from": "2999-01-01"}))["total"] == 0
        assert (await search(batam, koor, **{"to": "2999-01-01"}))["total"] == 5
        # Staff of another unit search only their own.
        batam.tokens[other] = tuban.tokens[other]
        await search(batam, other, expect=403)
        r = await hd.http.get("/api/v1/tickets", params={"tenant": "batam"})
        assert r.status_code == 401


async def test_staff_racing_to_claim_one_ticket_lose_no_update(tmp_path, nats_server,
                                                               database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings) as hd:
        batam = Desk(hd, "batam")
        names = [await batam.staff(f"hd.{i}", "helpdesk") for i in range(4)]
        ticket = await batam.report()
        url = f"/api/v1/tickets/{ticket['number']}/claim"
        answers = await asyncio.gather(*(hd.http.post(url, headers=bearer(batam, who))
                                         for who in names * 2))
        codes = [r.status_code for r in answers]
        assert set(codes) <= {200, 409} and 200 in codes, [r.text for r in answers]
        won = [r.json()["event_id"] for r in answers if r.status_code == 200]

        async def all_shown():
            view = await batam.view(ticket, names[0])
            shown = [e["event"] for e in view["timeline"] if e["type"] == "ticket.assigned"]
            return shown if len(shown) == len(won) else None

        shown = await eventually(all_shown, what="setiap klaim yang menang di timeline")
        assert sorted(e["event_id"] for e in shown) == sorted(won)
        # Each claim names the one it took the ticket from: none decided on a stale assignee.
        previous = ""
        for event in shown:
            assert event["previous"] == previous and event["assignee"] == event["actor"]["id"]
            previous = event["assignee"]
        assert (await batam.view(ticket, names[0]))["assignee"] == previous
