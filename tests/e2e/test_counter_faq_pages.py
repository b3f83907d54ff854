"""The counter and FAQ review pages over real HTTP (no browser, no JavaScript): a walk-in's
printable slip whose token opens the reporter's status page, a phone call, today's guest book;
a closed ticket's draft with the removed personal data marked, published, rejected, merged and
retracted through plain forms; and refusals for staff of another unit."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from conftest import eventually, make_settings, running_helpdesk
from paged import refuses_bad_paging
from scenario import Desk
from webclient import WebClient, text_of

VISIT = {"tenant": "batubara", "name": "Sari Wulandari", "organization": "Dinas PUPR",
         "phone": "", "email": "", "reporter_kind": "ppk", "purpose": "konsultasi",
         "kind": "ticket", "subject": "Tanya cara unggah dokumen",
         "description": "Datang ke loket menanyakan unggah dokumen penawaran"}


def slip_value(page, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', page.text)
    assert found, f"{element_id} tidak ada di slip"
    return html.unescape(found.group(1)).strip()


async def test_walk_in_slip_phone_call_and_todays_guest_book(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batubara")
        await desk.staff("loket.btb", "helpdesk")
        batam = Desk(hd, "batam")
        await batam.staff("loket.btm", "helpdesk")
        other_token = batam.tokens["loket.btm"]
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("loket.btb")
            counter = await web.http.get("/staf/loket")
            assert counter.status_code == 200
            assert 'href="/staf/loket"' in counter.text  # the staff menu
            assert 'action="/staf/loket/tamu"' in counter.text
            assert 'action="/staf/loket/telepon"' in counter.text
            assert "Belum ada tamu hari ini." in text_of(counter)

            # The standard asks a walk-in for the organisation: the form again, as typed.
            refused = await web.form("/staf/loket/tamu", {**VISIT, "organization": ""},
                                     page="/staf/loket")
            assert refused.status_code == 400 and "Belum tercatat" in text_of(refused)
            assert 'value="Sari Wulandari"' in refused.text

            slip = await web.form("/staf/loket/tamu", VISIT, page="/staf/loket")
            assert slip.status_code == 200, slip.text
            assert slip_value(slip, "nomor-antrean") == "A-001"
            number, token = slip_value(slip, "nomor-tiket"), slip_value(slip, "token-akses")
            view = await desk.until({"number": number, "access_token": token},
                                    lambda t: t["category"] is not None, "tiket tamu")
            assert view["channel"] == "walk_in" and view["queue_number"] == "A-001"
            assert 'href="/static/loket.css"' in slip.text
            link = slip_value(slip, "tautan-status")
            assert f"nomor={number}" in link and f"token={token}" in link

        # The reporter, on another browser, opens the slip's link.
        async with WebClient(str(hd.http.base_url)) as reporter:
            parts = urlsplit(link)
            handed = await reporter.http.get(f"{parts.path}?{parts.query}")
            assert handed.status_code == 303
            status = await reporter.http.get(handed.headers["location"])
            assert status.status_code == 200 and number in status.text
            assert "Tanya cara unggah dokumen" in text_of(status)

        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("loket.btb")
            call = await web.form("/staf/loket/telepon", {
                **VISIT, "name": "Pak Hasan", "organization": "", "phone": "0622 697703",
                "purpose": "telepon", "subject": "Lupa kata sandi SPSE",
                "description": "Penelepon lupa kata sandi"}, page="/staf/loket")
            assert call.status_code == 200, call.text
            assert 'id="nomor-antrean"' not in call.text
            call_number = slip_value(call, "nomor-tiket")
            ticket = await desk.until({"number": call_number, "access_token":
                                       slip_value(call, "token-akses")},
                                      lambda t: t["category"] is not None, "tiket telepon")
            assert ticket["channel"] == "phone"

            book = await web.http.get("/staf/loket")
            rows = re.search(r'<table class="tabel" id="tabel-buku-tamu">.*?</table>', book.text,
                             re.S).group(0)
            assert "A-001" in rows and "Sari Wulandari" in rows and "konsultasi" in rows
            assert f'href="/staf/tiket/{number}"' in rows and "loket.btb" in rows
            assert call_number not in rows  # a phone call is no visit
            assert "1 tamu pada" in text_of(book)

        # The guest book's API: another day is empty, a malformed day is refused.
        headers = {"Authorization": f"Bearer {desk.tokens['loket.btb']}"}
        today = await hd.http.get("/api/v1/counter/visits", params={"tenant": "batubara"},
                                  headers=headers)
        assert [v["queue_number"] for v in today.json()["visits"]] == ["A-001"]
        other_day = await hd.http.get("/api/v1/counter/visits", headers=headers,
                                      params={"tenant": "batubara", "day": "2020-01-01"})
        assert other_day.json() == {"tenant": "batubara", "day": "2020-01-01", "visits": [],
                                    "next": None}
        # A page at a time: `next` is the cursor for `after`, in queue order.
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("loket.btb")
            assert (await web.form("/staf/loket/tamu", VISIT, page="/staf/loket")).status_code == 200
        walked, after = [], None
        while True:
            book = (await hd.http.get("/api/v1/counter/visits", headers=headers, params={
                "tenant": "batubara", "limit": 1, **({"after": after} if after else {})})).json()
            walked += [v["queue_number"] for v in book["visits"]]
            if not (after := book["next"]):
                break
        assert walked == ["A-001", "A-002"]
        await refuses_bad_paging(hd.http, "/api/v1/counter/visits", {"tenant": "batubara"},
                                 headers)
        malformed = await hd.http.get("/api/v1/counter/visits", headers=headers,
                                      params={"tenant": "batubara", "day": "kemarin"})
        assert malformed.status_code == 400

        # Staff of another unit: refused on the page and on the form.
        async with WebClient(str(hd.http.base_url)) as other:
            await other.login("loket.btm")
            foreign = await other.http.get("/staf/loket?tenant=batubara")
            assert foreign.status_code == 403 and "Akses ditolak" in text_of(foreign)
            posted = await other.form("/staf/loket/tamu", VISIT, page="/staf/loket")
            assert posted.status_code == 403
            theirs = await other.http.get("/api/v1/counter/visits", params={
                "tenant": "batubara"}, headers={"Authorization": f"Bearer {other_token}"})
            assert theirs.status_code == 403
            own = await other.http.get("/staf/loket")  # Batam takes no phone calls
            assert own.status_code == 200 and 'action="/staf/loket/telepon"' not in own.text


async def close_for_faq(desk: Desk, helpdesk: str, subject: str, description: str,
                        resolution: str, **reporter) -> dict:
    ticket = await desk.report(subject=subject, description=description,
                               reporter={"name": "Pelapor", **reporter})
    await desk.act(helpdesk, ticket, "close", {"resolution": resolution, "publish_faq": True})
    return ticket


def draft_ids(page) -> list[str]:
    return re.findall(r'id="draf-([0-9a-f-]{36})"', page.text)


async def test_faq_review_page_marks_removed_data_and_decides_through_forms(tmp_path,
                                                                           nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batubara")
        helpdesk = await desk.staff("hd.btb", "helpdesk")
        await desk.staff("ppe.btb", "admin_ppe")
        await Desk(hd, "batam").staff("koor.btm", "koordinator")
        await close_for_faq(
            desk, helpdesk, "Gagal mengunggah dokumen penawaran",
            "Saya Budi Santoso tidak bisa upload dokumen penawaran. Hubungi "
            "budi.santoso@majujaya.co.id",
            "Perkecil ukuran berkas di bawah 20 MB lalu unggah ulang.",
            name="Budi Santoso", email="budi.santoso@majujaya.co.id")
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("ppe.btb")

            async def drafted(count: int):
                page = await web.http.get("/staf/faq")
                return page if len(draft_ids(page)) == count else None

            page = await eventually(lambda: drafted(1), what="draf di halaman")
            assert 'href="/staf/faq"' in page.text  # the staff menu
            assert '<mark class="dihapus"' in page.text
            assert re.search(r'<mark class="dihapus"[^>]*>\[email\]</mark>', page.text)
            assert re.search(r'<mark class="dihapus"[^>]*>\[nama\]</mark>', page.text)
            removed = re.search(r"Dihapus: ([^.<]+)<", page.text).group(1)
            assert "email ×1" in removed and "nama ×1" in removed
            assert "budi.santoso@majujaya.co.id" not in page.text
            [first] = draft_ids(page)

            # Edited, then published: the flash says so, the public FAQ has it.
            edited = await web.form(f"/staf/faq/{first}/edit", {
                "tenant": "batubara", "question": "Bagaimana mengunggah dokumen penawaran?",
                "answer": "Perkecil ukuran berkas di bawah 20 MB lalu unggah ulang."},
                page="/staf/faq")
            assert edited.status_code == 303, edited.text
            published = await web.form(f"/staf/faq/{first}/publish", {"tenant": "batubara"},
                                       page="/staf/faq")
            assert published.status_code == 303
            after = await web.http.get(published.headers["location"])
            assert "Entri FAQ diterbitkan." in text_of(after) and draft_ids(after) == []
            assert f'id="terbit-{first}"' in after.text
            public = (await hd.http.get("/api/v1/faq", params={"tenant": "batubara"})).json()
            assert [e["question"] for e in public] == ["Bagaimana mengunggah dokumen penawaran?"]

            # Two more drafts: one merged into the published entry, one rejected.
            for subject in ("Cara unggah dokumen penawaran", "Jadwal pelatihan penyedia"):
                await close_for_faq(desk, helpdesk, subject, "Mohon informasi", "Sudah dijawab.")
            page = await eventually(lambda: drafted(2), what="dua draf baru")
            assert f'<option value="{first}"' in page.text  # the merge target to choose
            # A page of one: the heading counts every draft, not the page's.
            one = await web.http.get("/staf/faq", params={"limit": 1})
            assert len(draft_ids(one)) == 1 and "Draf menunggu tinjauan (2)" in text_of(one)
            assert 'rel="next"' in one.text
            merge, reject = draft_ids(page)
            merged = await web.form(f"/staf/faq/{merge}/merge",
                                    {"tenant": "batubara", "into": first}, page="/staf/faq")
            assert merged.status_code == 303
            rejected = await web.form(f"/staf/faq/{reject}/reject",
                                      {"tenant": "batubara", "reason": "bukan pertanyaan umum"},
                                      page="/staf/faq")
            assert rejected.status_code == 303
            page = await web.http.get("/staf/faq")
            assert draft_ids(page) == [] and "Ditanyakan 2 kali" in text_of(page)
            # A decided draft cannot be decided again: the page says why.
            again = await web.form(f"/staf/faq/{reject}/publish", {"tenant": "batubara"},
                                   page="/staf/faq")
            assert again.status_code == 409 and "Belum diterbitkan" in text_of(again)

            # A long number no rule explains: published only once the reviewer ticks the box.
            await close_for_faq(desk, helpdesk, "Muncul pesan 98765432 saat login",
                                "Mohon bantuan", "Hapus cache peramban.")
            page = await eventually(lambda: drafted(1), what="draf berangka panjang")
            [digits] = draft_ids(page)
            held = await web.form(f"/staf/faq/{digits}/publish", {"tenant": "batubara"},
                                  page="/staf/faq")
            assert held.status_code == 409 and "98765432" in text_of(held)
            assert "centang “angka panjang boleh tampil”" in text_of(held)
            ticked = await web.form(f"/staf/faq/{digits}/publish",
                                    {"tenant": "batubara", "confirm_digits": "1"},
                                    page="/staf/faq")
            assert ticked.status_code == 303
            # Two published, one a page: the count is of both, and a new draft may be merged
            # into either (not only the page's); the search box narrows the choice.
            await close_for_faq(desk, helpdesk, "Jadwal pelatihan penyedia baru",
                                "Mohon informasi", "Sudah dijawab.")
            await eventually(lambda: drafted(1), what="draf untuk digabungkan")
            one = await web.http.get("/staf/faq", params={"limit": 1})
            shown = re.findall(r'<article class="entri-faq" id="terbit-', one.text)
            assert "Entri terbit (2)" in text_of(one) and len(shown) == 1
            assert f'<option value="{first}"' in one.text
            assert f'<option value="{digits}"' in one.text
            found = await web.http.get("/staf/faq", params={"limit": 1, "gabung": "peramban"})
            assert f'<option value="{digits}"' in found.text
            assert f'<option value="{first}"' not in found.text
            await web.form(f"/staf/faq/{digits}/retract", {"tenant": "batubara"},
                           page="/staf/faq")

            retracted = await web.form(f"/staf/faq/{first}/retract",
                                       {"tenant": "batubara", "reason": "usang"},
                                       page="/staf/faq")
            assert retracted.status_code == 303
            assert (await hd.http.get("/api/v1/faq", params={"tenant": "batubara"})).json() == []
            page = await web.http.get("/staf/faq")
            assert "Belum ada entri terbit." in text_of(page)

        # A coordinator of another unit and a helpdesk clerk of this one are refused.
        async with WebClient(str(hd.http.base_url)) as other:
            await other.login("koor.btm")
            foreign = await other.http.get("/staf/faq?tenant=batubara")
            assert foreign.status_code == 403 and "Akses ditolak" in text_of(foreign)
            posted = await other.form(f"/staf/faq/{first}/edit", {
                "tenant": "batubara", "question": "x", "answer": "y"}, page="/staf/faq")
            assert posted.status_code == 403
        async with WebClient(str(hd.http.base_url)) as clerk:
            await clerk.login("hd.btb")
            assert (await clerk.http.get("/staf/faq")).status_code == 403
            assert 'href="/staf/faq"' not in (await clerk.http.get("/staf/antrean")).text
