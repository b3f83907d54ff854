"""Canned replies of a unit over the API: staff of the unit add, list, edit and delete them;
other units' staff cannot; with `ticket` they come ranked by the words shared with it. On the
staff ticket page they are listed in that order, and a link fills the reply box."""

from __future__ import annotations

import html
import re

from conftest import make_settings, running_helpdesk
from scenario import Desk
from webclient import WebClient


async def test_crud_ranking_and_the_units_own_staff_only(tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings) as hd:
        batam, lampung = Desk(hd, "batam"), Desk(hd, "lampung")
        hdb = await batam.staff("hd.btm", "helpdesk")
        koor = await batam.staff("koor.btm", "koordinator")
        luar = await lampung.staff("hd.lpg", "helpdesk")
        url = "/api/v1/units/batam/canned-replies"

        def auth(desk, who):
            return {"Authorization": f"Bearer {desk.tokens[who]}"}

        made = []
        for title, body in (("Reset kata sandi", "Klik Lupa Kata Sandi di halaman login SPSE."),
                            ("Verifikasi SIKaP", "Unggah NIB dan NPWP perusahaan di SIKaP."),
                            ("Aktivasi akun", "Datang ke LPSE membawa KTP asli.")):
            r = await hd.http.post(url, json={"title": title, "body": body},
                                   headers=auth(batam, hdb))
            assert r.status_code == 201, r.text
            made.append(r.json())
        assert made[0]["updated_by"] == hdb and len(made[0]["id"]) == 32

        r = await hd.http.get(url, headers=auth(batam, koor))
        assert [e["title"] for e in r.json()] == ["Aktivasi akun", "Reset kata sandi",
                                                  "Verifikasi SIKaP"]

        # Ranked for a ticket: the reply sharing most words with it first.
        ticket = await batam.report(subject="Lupa kata sandi SPSE",
                                    description="Tidak bisa login, lupa kata sandi.",
                                    fields={"aplikasi": "SIKaP"})
        r = await hd.http.get(url, params={"ticket": ticket["number"]}, headers=auth(batam, hdb))
        assert r.status_code == 200, r.text
        ranked = r.json()
        assert [e["title"] for e in ranked] == ["Reset kata sandi", "Verifikasi SIKaP",
                                                "Aktivasi akun"]
        assert ranked[0]["score"] > ranked[1]["score"] > ranked[2]["score"] == 0

        # Edit by another staff member of the unit; refusals name what is wrong.
        r = await hd.http.put(f"{url}/{made[2]['id']}", headers=auth(batam, koor),
                              json={"title": "Aktivasi akun SPSE", "body": "Bawa KTP dan NIB."})
        assert r.status_code == 200 and r.json()["updated_by"] == koor, r.text
        r = await hd.http.put(f"{url}/{'0' * 32}", headers=auth(batam, koor),
                              json={"title": "x", "body": "y"})
        assert r.status_code == 404 and r.json()["field"] == "id", r.text
        r = await hd.http.post(url, json={"title": "", "body": "y"}, headers=auth(batam, hdb))
        assert r.status_code == 400 and "title" in r.text, r.text

        # Another unit's staff neither read nor change them, nor see them in their own unit.
        assert (await hd.http.get(url, headers=auth(lampung, luar))).status_code == 403
        r = await hd.http.delete(f"{url}/{made[0]['id']}", headers=auth(lampung, luar))
        assert r.status_code == 403
        r = await hd.http.get("/api/v1/units/lampung/canned-replies", headers=auth(lampung, luar))
        assert r.status_code == 200 and r.json() == []
        assert (await hd.http.get(url)).status_code == 401

        r = await hd.http.delete(f"{url}/{made[0]['id']}", headers=auth(batam, hdb))
        assert r.status_code == 204, r.text
        r = await hd.http.delete(f"{url}/{made[0]['id']}", headers=auth(batam, hdb))
        assert r.status_code == 404
        r = await hd.http.get(url, headers=auth(batam, hdb))
        assert [e["title"] for e in r.json()] == ["Aktivasi akun SPSE", "Verifikasi SIKaP"]


async def test_the_ticket_page_lists_them_ranked_and_a_link_fills_the_reply_box(
        tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        batam = Desk(hd, "batam")
        hdb = await batam.staff("hd.btm", "helpdesk")
        headers = {"Authorization": f"Bearer {batam.tokens[hdb]}"}
        url = "/api/v1/units/batam/canned-replies"
        ids = {}
        for title, body in (("Aktivasi akun", "Datang ke LPSE membawa KTP asli."),
                            ("Reset kata sandi", "Klik Lupa Kata Sandi di halaman login SPSE.")):
            r = await hd.http.post(url, json={"title": title, "body": body}, headers=headers)
            ids[title] = r.json()["id"]
        ticket = await batam.report(subject="Lupa kata sandi SPSE",
                                    description="Tidak bisa login karena lupa kata sandi.")
        page_url = f"/staf/tiket/{ticket['number']}"
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login(hdb)
            page = await web.http.get(page_url)
            assert page.status_code == 200
            block = re.search(r'<ul class="siap-pakai" id="siap-pakai-unit">(.*?)</ul>',
                              page.text, re.S)
            assert block, "no canned replies on the ticket page"
            links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', block.group(1))
            assert [title for _, title in links] == ["Reset kata sandi", "Aktivasi akun"]
            assert links[0][0] == f"{page_url}?siap={ids['Reset kata sandi']}#aksi-reply"
            assert "Klik Lupa Kata Sandi" not in page.text  # nothing filled until chosen

            filled = await web.http.get(page_url, params={"siap": ids["Reset kata sandi"]})
            box = re.search(r'<textarea id="message-reply"[^>]*>([^<]*)</textarea>', filled.text)
            assert box and box.group(1) == "Klik Lupa Kata Sandi di halaman login SPSE."
            assert re.search(r'<details class="aksi" open id="aksi-reply">', filled.text)


async def test_staff_keep_them_on_their_page_without_javascript(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        batam = Desk(hd, "batam")
        hdb = await batam.staff("hd.btm", "helpdesk")
        home = "/staf/siap-pakai"
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login(hdb)
            empty = await web.http.get(home)
            assert empty.status_code == 200 and "Belum ada jawaban siap pakai" in empty.text
            assert f'href="{home}"' in empty.text  # in the menu
            added = await web.form(home, {"title": "Reset kata sandi",
                                          "body": "Klik Lupa Kata Sandi."}, page=home)
            assert added.status_code == 303, added.text
            refused = await web.form(home, {"title": "Tanpa isi", "body": ""}, page=home)
            assert refused.status_code == 400 and 'value="Tanpa isi"' in refused.text
            r = await hd.http.get("/api/v1/units/batam/canned-replies",
                                  headers={"Authorization": f"Bearer {batam.tokens[hdb]}"})
            [entry] = r.json()
            listed = await web.http.get(home)
            assert "Reset kata sandi" in listed.text and "Daftar (1)" in listed.text
            edited = await web.form(f"{home}/{entry['id']}/ubah", {
                "title": "Reset sandi SPSE", "body": "Klik Lupa Kata Sandi di halaman login."},
                page=home)
            assert edited.status_code == 303
            listed = await web.http.get(home)
            assert "Reset sandi SPSE" in listed.text and "di halaman login." in listed.text
            gone = await web.form(f"{home}/{entry['id']}/hapus", {}, page=home)
            assert gone.status_code == 303
            assert "Belum ada jawaban siap pakai" in (await web.http.get(home)).text
            again = await web.form(f"{home}/{entry['id']}/hapus", {}, page=home)
            assert again.status_code == 404

            # More than a page (50): "Berikutnya" walks them all, each once, titles repeating
            # (the id breaks ties); "Sebelumnya" leads back to the same page.
            staff = {"Authorization": f"Bearer {batam.tokens[hdb]}"}
            for i in range(55):
                r = await hd.http.post("/api/v1/units/batam/canned-replies", headers=staff,
                                       json={"title": f"Jawaban {i % 20:02d}", "body": "Isi."})
                assert r.status_code == 201, r.text
            seen, url, pages = [], home, []
            while url:
                shown = await web.http.get(url)
                assert shown.status_code == 200, shown.text
                pages.append((url, re.findall(rf'action="{home}/([0-9a-f-]+)/hapus"', shown.text)))
                seen += pages[-1][1]
                following = re.search(r'<a href="([^"]+)" rel="next">Berikutnya', shown.text)
                url = html.unescape(following.group(1)) if following else None
            assert len(pages) == 2 and len(seen) == 55 == len(set(seen))
            back = re.search(r'<a href="([^"]+)" rel="prev">« Sebelumnya', shown.text)
            first = await web.http.get(html.unescape(back.group(1)))
            assert re.findall(rf'action="{home}/([0-9a-f-]+)/hapus"', first.text) == pages[0][1]
