"""The staff pages of assignment and search over real HTTP (no browser, no JavaScript): claiming
and assigning on the ticket page, the queue's Petugas column, its filter and "Tiket saya", and
`/staf/cari` with its form, paged results and links to the staff ticket page."""

from __future__ import annotations

import re

from conftest import eventually, make_settings, running_helpdesk
from scenario import Desk
from webclient import WebClient, text_of


async def test_claim_assign_and_the_queue_column_filter_and_my_tickets(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batam")
        first = await desk.report(subject="Tidak bisa login SPSE")
        second = await desk.report(subject="Minta reset akun")
        await desk.staff("hd.btm", "helpdesk")
        await desk.staff("hd.dua", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("hd.btm")
            ticket_page = f"/staf/tiket/{first['number']}"
            page = await web.http.get(ticket_page)
            assert "belum ada (antrean bersama)" in text_of(page)
            claimed = await web.form(f"{ticket_page}/penugasan", {"langkah": "claim"},
                                     page=ticket_page)
            assert claimed.status_code == 303, claimed.text
            page = await web.http.get(ticket_page)
            assert re.search(r'id="petugas">hd\.btm<', page.text)
            assert "Tiket ditugaskan" in text_of(page) and "Ambil tiket ini" not in page.text
            # Assigning to someone outside the unit: the ticket page again, with why.
            refused = await web.form(f"{ticket_page}/penugasan",
                                     {"langkah": "assign", "assignee": "orang.luar"},
                                     page=ticket_page)
            assert refused.status_code == 400 and "bukan staf aktif" in text_of(refused)
            other = f"/staf/tiket/{second['number']}"
            given = await web.form(f"{other}/penugasan",
                                   {"langkah": "assign", "assignee": "hd.dua"}, page=other)
            assert given.status_code == 303, given.text

            async def column():
                table = await web.http.get("/staf/antrean/tabel")
                return table if ('data-judul="Petugas">hd.btm</td>' in table.text
                                 and 'data-judul="Petugas">hd.dua</td>' in table.text) else None

            table = await eventually(column, what="kolom Petugas")
            assert "Petugas" in table.text
            queue = await web.http.get("/staf/antrean")
            assert 'href="/staf/antrean?tenant=batam&amp;assignee=hd.btm"' in queue.text
            mine = await web.http.get("/staf/antrean?tenant=batam&assignee=hd.btm")
            assert first["number"] in mine.text and second["number"] not in mine.text
            assert 'name="assignee" value="hd.btm"' in mine.text
            assert 'aria-current="page">Tiket saya' in mine.text
            dropped = await web.form(f"{other}/penugasan", {"langkah": "unassign"}, page=other)
            assert dropped.status_code == 303
            page = await web.http.get(other)
            assert "belum ada (antrean bersama)" in text_of(page)
            assert "Penugasan dilepas" in text_of(page)


async def test_the_search_page_finds_closed_tickets_and_pages_through_results(tmp_path,
                                                                             nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batam")
        hd_btm = await desk.staff("hd.btm", "helpdesk")
        made = [await desk.report(subject=f"Kendala nomor {i} SPSE",
                                  reporter={"name": f"Pelapor {i}", "email": f"p{i}@contoh.id",
                                            "organization": "PT Cari Jaya"})
                for i in range(27)]
        await desk.act(hd_btm, made[5], "close", {"resolution": "Selesai"})
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("hd.btm")

            async def closed_found():
                page = await web.http.get("/staf/cari", params={"q": "Kendala nomor 5 ",
                                                                 "status": "closed"})
                return page if made[5]["number"] in page.text else None

            page = await eventually(closed_found, what="tiket ditutup ditemukan")
            assert page.status_code == 200 and "1 tiket ditemukan" in text_of(page)
            assert f'href="/staf/tiket/{made[5]["number"]}"' in page.text
            assert '<option value="closed" selected>Ditutup</option>' in page.text
            assert 'value="Kendala nomor 5"' in page.text  # the form keeps what was asked

            # 27 tickets: two pages of 25, newest first, with page links.
            first = await web.http.get("/staf/cari", params={"q": "cari jaya"})
            assert "27 tiket ditemukan · halaman 1 dari 2" in text_of(first)
            assert first.text.count('href="/staf/tiket/') == 25
            assert made[26]["number"] in first.text and made[1]["number"] not in first.text
            following = re.search(r'href="/staf/cari\?([^"]+)" rel="next"', first.text)
            assert following and "halaman=2" in following.group(1)
            second = await web.http.get("/staf/cari?" + following.group(1).replace("&amp;", "&"))
            assert "halaman 2 dari 2" in text_of(second)
            assert second.text.count('href="/staf/tiket/') == 2
            assert made[1]["number"] in second.text and made[0]["number"] in second.text
            assert 'rel="prev"' in second.text and 'rel="next"' not in second.text

            bad = await web.http.get("/staf/cari", params={"dari": "2026-03-02",
                                                            "sampai": "2026-03-01"})
            assert bad.status_code == 400 and "sesudah" in text_of(bad)
            assert 'name="dari"' in bad.text
            assert 'href="/staf/cari"' in (await web.http.get("/staf/antrean")).text


async def test_the_queue_page_walks_berikutnya_and_sebelumnya_over_the_whole_queue(
        tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batam")
        made = [await desk.report(subject=f"Kendala {i}") for i in range(7)]
        await desk.staff("hd.btm", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("hd.btm")

            def numbers(page) -> list[str]:
                return re.findall(r'href="/staf/tiket/([^"]+)"', page.text)

            def link(page, rel: str) -> str | None:
                found = re.search(rf'<a href="(/staf/antrean\?[^"]+)" rel="{rel}"', page.text)
                return found and found.group(1).replace("&amp;", "&")

            async def whole_queue():
                page = await web.http.get("/staf/antrean?sort=nomor&urutan=turun&limit=3")
                return page if "7 tiket terbuka" in text_of(page) else None

            # Three to a page (`limit`), by number descending: follow "Berikutnya" to the end.
            page = await eventually(whole_queue, what="7 tiket di antrean")
            assert link(page, "prev") is None
            pages, seen = [page], numbers(page)
            while (following := link(page, "next")) is not None:
                assert "sort=nomor" in following and "urutan=turun" in following
                assert "limit=3" in following
                page = await web.http.get(following)
                assert page.status_code == 200, page.text
                # The counts are of the whole queue on every page, not of the page.
                assert "7 tiket terbuka, 0 terlambat" in text_of(page)
                # The refresh asks for this same page.
                fragment = re.search(r'data-fragment="([^"]+)"', page.text).group(1)
                table = await web.http.get(fragment.replace("&amp;", "&"))
                assert numbers(table) == numbers(page)
                pages.append(page)
                seen += numbers(page)
            assert len(pages) == 3 and [len(numbers(p)) for p in pages] == [3, 3, 1]
            assert seen == sorted((c["number"] for c in made), reverse=True)  # each once
            # "Sebelumnya" walks back through the same pages.
            back = []
            while (previous := link(page, "prev")) is not None:
                page = await web.http.get(previous)
                back.append(numbers(page))
            assert back == [numbers(pages[1]), numbers(pages[0])]
            assert link(page, "next") is not None

            # A filter keeps to its matches across pages; the count is the filtered queue's.
            await desk.act("hd.btm", made[0], "claim", {})
            await desk.act("hd.btm", made[1], "claim", {})

            async def mine():
                # The count and the page are two reads: wait until both have the second claim.
                page = await web.http.get(
                    "/staf/antrean?assignee=hd.btm&sort=nomor&limit=1")
                return page if "2 tiket terbuka" in text_of(page) and link(page, "next") else None

            first = await eventually(mine, what="2 tiket hd.btm")
            second = await web.http.get(link(first, "next"))
            assert "assignee=hd.btm" in link(first, "next")
            assert numbers(first) + numbers(second) == [made[0]["number"], made[1]["number"]]
            assert link(second, "next") is None
