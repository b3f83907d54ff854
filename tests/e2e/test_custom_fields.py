"""A unit's own ticket fields end to end: sent through the API and the portal's form, refused
naming each bad field, shown in the staff API view and ticket page, found by the staff search
and written as columns of the unit's CSV report. Real nats-server, real HTTP."""

from __future__ import annotations

import csv
import io
import re

import msgspec

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.standards import load_standards
from scenario import Desk
from webclient import WebClient, text_of

NAMES = ["lpse", "aplikasi", "kode_error", "kode_tender", "tipe_tiket", "npwp_user_id"]


def standards_with_required_aplikasi() -> dict:
    """The shipped standards, Batam asking for Aplikasi on the portal and the API."""
    units = load_standards()
    batam = units["batam"]
    fields = tuple(msgspec.structs.replace(f, required=("web", "api")) if f.name == "aplikasi"
                   else f for f in batam.fields)
    return {**units, "batam": msgspec.structs.replace(batam, fields=fields)}


async def test_fields_through_the_api_refusals_staff_view_page_search_and_csv(
        tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, standards=standards_with_required_aplikasi()) as hd:
        desk = Desk(hd, "batam")
        koor = await desk.staff("koor.btm", "koordinator")

        # Every problem at once, each naming its field; nothing is stored.
        r = await hd.post_ticket("batam", channel="api", fields={
            "kode_tender": "12a", "tipe_tiket": "Keluhan", "warna": "merah"})
        assert r.status_code == 400, r.text
        refusal = r.json()
        assert refusal["missing"] == ["fields.aplikasi", "fields.kode_tender",
                                      "fields.tipe_tiket", "fields.warna"]
        assert refusal["field"] == "fields.aplikasi"
        for path in refusal["missing"]:
            assert f"`{path}`" in refusal["detail"], refusal["detail"]
        assert "wajib diisi" in refusal["detail"] and "tidak dikenal" in refusal["detail"]
        # Required on the portal and the API, not on a walk-in (none of the shipped fields are).
        r = await hd.post_ticket("batam", channel="walk_in")
        assert r.status_code == 201, r.text

        # A walk-in recorded by staff carries them too, checked alike.
        visit = {"tenant": "batam", "visitor": {"name": "Sari"}, "purpose": "konsultasi",
                 "subject": "Tanya SiRUP", "description": "Datang ke loket."}
        staff_auth = {"Authorization": f"Bearer {desk.tokens[koor]}"}
        r = await hd.http.post("/api/v1/counter/visits", headers=staff_auth,
                               json={**visit, "fields": {"aplikasi": "Sirup"}})
        assert r.status_code == 400 and r.json()["missing"] == ["fields.aplikasi"], r.text
        r = await hd.http.post("/api/v1/counter/visits", headers=staff_auth,
                               json={**visit, "fields": {"aplikasi": "SiRUP"}})
        assert r.status_code == 201, r.text
        walk_in = await desk.until(r.json(), lambda t: True, "loket", who=koor)
        assert walk_in["fields"] == {"aplikasi": "SiRUP"} and walk_in["channel"] == "walk_in"

        given = {"lpse": "LPSE Kota Batam", "aplikasi": "SIKaP", "kode_error": "E-4031",
                 "kode_tender": "87654321", "npwp_user_id": " 01.234.567.8-901.000 "}
        created = await desk.report(channel="api", subject="Gagal verifikasi SIKaP",
                                    fields=given)
        staff_view = await desk.view(created, who=koor)
        assert staff_view["fields"] == {**given, "npwp_user_id": "01.234.567.8-901.000"}

        # The staff search finds it by a field's value.
        async def found():
            r = await hd.http.get("/api/v1/tickets", params={"tenant": "batam", "q": "e-4031"},
                                  headers={"Authorization": f"Bearer {desk.tokens[koor]}"})
            items = r.json()["items"] if r.status_code == 200 else []
            return items or None
        assert [t["number"] for t in await eventually(found, what="cari")] == [created["number"]]

        # The CSV: one column per declared field, after the usual ones.
        r = await hd.http.get("/api/v1/units/batam/report.csv",
                              headers={"Authorization": f"Bearer {desk.tokens[koor]}"})
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0][-7:] == ["ikm", *NAMES]
        row = next(dict(zip(rows[0], row, strict=True)) for row in rows[1:]
                   if row[0] == created["number"])
        assert row["aplikasi"] == "SIKaP" and row["kode_tender"] == "87654321"
        assert row["tipe_tiket"] == "" and row["npwp_user_id"] == "01.234.567.8-901.000"

        # The staff ticket page: a block of the unit's labels and the values.
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login(koor)
            page = await web.http.get(f"/staf/tiket/{created['number']}")
            assert page.status_code == 200
            block = re.search(r'<dl class="ringkas" id="data-tambahan">(.*?)</dl>', page.text,
                              re.S)
            assert block, "no Data tambahan block"
            words = text_of(page)
            assert "Data tambahan" in words
            assert re.search(r"<dt>Kode Tender/Paket</dt><dd>87654321</dd>", block.group(1))
            assert re.search(r"<dt>Aplikasi</dt><dd>SIKaP</dd>", block.group(1))
            assert "Tipe Tiket" not in block.group(1)  # not given, not listed


async def test_the_portal_form_offers_the_fields_and_names_each_bad_one(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, standards=standards_with_required_aplikasi()) as hd:
        desk = Desk(hd, "batam")
        koor = await desk.staff("koor.btm", "koordinator")
        form_page = "/portal/batam/tiket-baru"
        base = {"name": "Sri Wahyuni", "email": "sri@contoh.id", "subject": "Tidak bisa login",
                "description": "Muncul kode error saat login."}
        async with WebClient(str(hd.http.base_url)) as web:
            blank = await web.http.get(form_page)
            assert blank.status_code == 200
            # A choice is a <select> of the standard's choices; the others are inputs.
            select = re.search(r'<select id="f_aplikasi" name="f_aplikasi"[^>]*>(.*?)</select>',
                               blank.text, re.S)
            assert select and "required" in select.group(0)
            assert re.findall(r"<option[^>]*>([^<]+)</option>", select.group(1)) == [
                "— pilih —", "SPSE", "SIKaP", "e-Katalog", "SiRUP", "e-Purchasing", "Lainnya"]
            assert re.search(r'<input id="f_kode_tender" name="f_kode_tender"', blank.text)
            assert re.search(r'<select id="f_tipe_tiket"', blank.text)

            refused = await web.form(form_page, {**base, "f_aplikasi": "",
                                                 "f_kode_tender": "nomor 12"}, page=form_page)
            assert refused.status_code == 400
            for key, words in (("f_aplikasi", "Aplikasi wajib diisi"),
                               ("f_kode_tender", "Kode Tender/Paket tidak sesuai format")):
                assert re.search(rf'<div class="galat-kolom" id="{key}-galat"><p>{re.escape(words)}',
                                 refused.text), key
                assert re.search(rf'id="{key}"[^>]*aria-invalid="true"', refused.text), key
            assert 'value="nomor 12"' in refused.text  # what was typed is kept

            sent = await web.form(form_page, {**base, "f_aplikasi": "SPSE", "f_kode_tender":
                                              "12345678", "f_tipe_tiket": "Pertanyaan"},
                                  page=form_page)
            assert sent.status_code == 303, sent.text
            number = re.search(r"nomor=([A-Z]{3}-\d{4}-\d{6})", sent.headers["location"])[1]
        view = await eventually(lambda: _staff_view(hd, desk, koor, number), what="tiket")
        assert view["fields"] == {"aplikasi": "SPSE", "kode_tender": "12345678",
                                  "tipe_tiket": "Pertanyaan"}
        assert view["channel"] == "web"


async def _staff_view(hd, desk, who, number):
    r = await hd.http.get(f"/api/v1/tickets/{number}",
                          headers={"Authorization": f"Bearer {desk.tokens[who]}"})
    return r.json() if r.status_code == 200 else None
