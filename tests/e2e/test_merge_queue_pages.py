"""The staff pages over real HTTP (no JavaScript): the queue's "Balasan baru" marker and its
Pelapor and Diterima columns, merging and linking on the ticket page (both pages show the
other ticket), and delivery records folded into a closed <details> under the timeline."""

from __future__ import annotations

import re

from conftest import eventually, make_settings, running_helpdesk
from scenario import Desk
from webclient import WebClient, text_of


def row_of(html: str, number: str) -> str:
    return next(row for row in html.split("<tr") if f">{number}</a>" in row)


async def test_new_reply_marker_columns_merge_link_and_folded_deliveries(
        tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batam")
        helpdesk = await desk.staff("hd.btm", "helpdesk")
        a = await desk.report(subject="Tidak bisa login SPSE",
                              reporter={"name": "Ani Lestari", "email": "ani@contoh.co.id"})
        b = await desk.report(subject="Login SPSE gagal terus")
        c = await desk.report(subject="Jadwal tender berubah")
        await desk.act(helpdesk, a, "request-info", {"message": "Mohon tangkapan layar."})
        await desk.reporter(a, "replies", {"message": "Terlampir, masih gagal."})
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("hd.btm")

            async def marked():
                table = await web.http.get("/staf/antrean/tabel")
                return table if "Balasan baru" in row_of(table.text, a["number"]) else None

            table = await eventually(marked, what="penanda balasan baru")
            assert "Balasan baru" not in row_of(table.text, b["number"])
            assert ">Pelapor<" in table.text and ">Diterima<" in table.text
            assert 'data-judul="Pelapor">Ani Lestari</td>' in row_of(table.text, a["number"])
            assert re.search(r'<time datetime="[^"]+">\d\d-\d\d-\d{4} \d\d:\d\d WIB</time>',
                             row_of(table.text, a["number"]))
            # Staff answer: the marker goes.
            await desk.act(helpdesk, a, "reply", {"message": "Silakan coba lagi sekarang."})

            async def answered():
                table = await web.http.get("/staf/antrean/tabel")
                return table if "Balasan baru" not in row_of(table.text, a["number"]) else None

            await eventually(answered, what="penanda hilang setelah dijawab")

            page_a, page_b = f"/staf/tiket/{a['number']}", f"/staf/tiket/{b['number']}"
            refused = await web.form(f"{page_b}/terkait", {"langkah": "merge",
                                                           "nomor": b["number"]}, page=page_b)
            assert refused.status_code == 409 and "dirinya sendiri" in text_of(refused)
            merged = await web.form(f"{page_b}/terkait", {"langkah": "merge",
                                                          "nomor": a["number"]}, page=page_b)
            assert merged.status_code == 303, merged.text
            linked = await web.form(f"{page_a}/terkait", {"langkah": "link",
                                                          "nomor": c["number"]}, page=page_a)
            assert linked.status_code == 303, linked.text
            shown_b = await web.http.get(page_b)
            assert f'Digabung ke <a href="/staf/tiket/{a["number"]}">' in shown_b.text
            assert 'id="gabung-nomor"' not in shown_b.text  # a closed ticket merges no more

            async def survivor():
                page = await web.http.get(page_a)
                return page if "Duplikat yang digabung ke sini" in page.text else None

            shown_a = await eventually(survivor, what="duplikat di halaman tiket utama")
            assert f'<a href="/staf/tiket/{b["number"]}">{b["number"]}</a>' in shown_a.text
            assert f'Terkait: <a href="/staf/tiket/{c["number"]}">' in shown_a.text
            shown_c = await web.http.get(f"/staf/tiket/{c['number']}")
            assert f'Terkait: <a href="/staf/tiket/{a["number"]}">' in shown_c.text

            async def delivered():
                page = await web.http.get(page_a)
                return page if "Notifikasi terkirim" in page.text else None

            page = await eventually(delivered, timeout=20, what="catatan pengiriman")
            timeline, folded = page.text.split('<details id="pengiriman">')
            assert "Notifikasi terkirim" not in timeline.split('id="riwayat"')[1]
            assert "Notifikasi terkirim" in folded.split("</details>")[0]
            assert "<summary>Catatan pengiriman notifikasi (" in folded
            assert "<code>ticket." not in page.text  # no raw tags
