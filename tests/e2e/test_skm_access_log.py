"""The SKM report per semester (PermenPANRB 14/2017) with the respondent profile, and the log of
staff access to personal data, over one running helpdesk: real NATS, real HTTP, the pages and
the CLI."""

from __future__ import annotations

import csv
import getpass
import io
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.cli import main
from lpse_helpdesk.schemas.survey import SKM_KEYS
from lpse_helpdesk.standards import load_standards
from scenario import Desk
from webclient import WebClient, text_of

ZONE = load_standards()["batam"].zone
PDF = b"%PDF-1.4\n" + b"0" * 2_000


def scores(value: int, **other) -> dict:
    return {key: other.get(key, value) for key in SKM_KEYS}


async def closed(d: Desk, who: str, subject: str) -> dict:
    t = await d.report(subject=subject, description=f"{subject}, mohon bantuan")
    await d.act(who, t, "close", {"resolution": "Sudah dibantu"})
    return t


async def test_skm_semester_report_and_personal_data_access_log(tmp_path, nats_server):
    async with running_helpdesk(make_settings(tmp_path, nats_server.url)) as hd:
        d = Desk(hd, "batam")
        helpdesk = await d.staff("hd.btm", "helpdesk")
        await d.staff("kepala.btm", "kepala_unit")
        await d.staff("koor.btm", "koordinator")
        base = str(hd.http.base_url)
        first = await closed(d, helpdesk, "Tidak bisa login SPSE")
        second = await closed(d, helpdesk, "Lupa kata sandi SPSE")
        third = await closed(d, helpdesk, "Mohon info pelatihan")
        await surveys(hd, d, base, first, second, third)
        await report(hd, base)
        up = await hd.http.post("/api/v1/attachments", params={"tenant": "batam",
                                                               "filename": "ktp.pdf"},
                                content=PDF, headers={"Content-Type": "application/pdf"})
        assert up.status_code == 201, up.text
        with_file = await d.report(subject="Unggah KTP", description="KTP terlampir",
                                   attachments=[up.json()["id"]])
        download = f"/api/v1/tickets/{with_file['number']}/attachments/{up.json()['id']}"
        r = await hd.http.get(download,
                              headers={"Authorization": f"Bearer {d.tokens[helpdesk]}",
                                       "X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 200 and r.content == PDF
        # An admin's export of the reporter's data (API and command line) is an access too.
        await d.staff("admin.btm", "admin")
        r = await hd.http.get("/api/v1/personal-data", params={
            "tenant": "batam", "email": "budi@contoh.co.id"},
            headers={"Authorization": f"Bearer {d.tokens['admin.btm']}"})
        assert r.status_code == 200 and len(r.json()["tiket"]) == 4, r.text
        with redirect_stdout(io.StringIO()):
            assert main(["personal-data", "export", "--email", "budi@contoh.co.id",
                         "--tenant", "batam", "--data-dir", str(hd.settings.data_dir)]) == 0
        await access_log(hd, base, first, with_file)
        # Erasing the reporter takes the respondent's profile rows with it; the scores stay
        # (they say nothing about who answered).
        r = await hd.http.post("/api/v1/personal-data/erase", json={
            "tenant": "batam", "email": "budi@contoh.co.id"},
            headers={"Authorization": f"Bearer {d.tokens['admin.btm']}"})
        assert r.status_code == 200, r.text
        store = hd.runtime.service("desk").store
        await eventually(lambda: not store.query(
            f"SELECT * FROM {store.prefix}_survey_profiles"), what="profil responden terhapus")
        assert store.query(f"SELECT COUNT(*) FROM {store.prefix}_surveys")[0][0] == 3


async def surveys(hd, d: Desk, base: str, first: dict, second: dict, third: dict) -> None:
    # With the whole profile, through the API.
    await d.reporter(first, "survey", {"scores": scores(4), "profile": {
        "jenis_kelamin": "L", "usia": 30, "pendidikan": "d4_s1", "pekerjaan": "pns"}})
    # A bad answer is refused, naming it, before anything is stored.
    r = await hd.http.post(f"/api/v1/tickets/{third['number']}/survey",
                           params={"token": third["access_token"]},
                           json={"scores": scores(3), "profile": {"usia": 16}})
    assert r.status_code == 400 and r.json()["field"] == "profile.usia", r.text
    # Without a profile, as before it existed.
    await d.reporter(third, "survey", {"scores": scores(3)})
    # Through the portal's form, two questions left empty (education, and none typed in).
    async with WebClient(base) as reporter:
        r = await reporter.form("/portal/status", {"nomor": second["number"],
                                                   "token": second["access_token"]},
                                page="/portal/status")
        assert r.status_code == 303, r.text
        page = await reporter.http.get(f"/portal/status?nomor={second['number']}")
        assert "Profil responden (opsional)" in page.text and 'name="pendidikan"' in page.text
        r = await reporter.form(f"/portal/tiket/{second['number']}/survei", {
            **{k: str(v) for k, v in scores(3, persyaratan=2).items()}, "comment": "",
            "jenis_kelamin": "P", "usia": "45", "pendidikan": "", "pekerjaan": "swasta"},
            page="/portal/status")
        assert r.status_code == 303, r.text
    assert (await d.view(second))["survey_submitted"] is True


async def report(hd, base: str) -> None:
    today = datetime.now(UTC).astimezone(ZONE).date()
    period = f"{today.year}-S{1 if today.month <= 6 else 2}"
    label = f"Semester {'I' if today.month <= 6 else 'II'} {today.year}"
    async with WebClient(base) as head:
        assert (await head.login("kepala.btm")).status_code == 303
        r = await head.http.get("/staf/skm", params={"tenant": "batam"})
        assert r.status_code == 200, r.text
        # Persyaratan 4, 2, 3 (NRR 3.00); the other eight 4, 3, 3 (3.33): IKM
        # (3 + 8 x 10/3) / 9 x 25 = 82.41, B (Baik).
        words = text_of(r)
        assert "Kota Batam" in words and label in words
        assert "82.41 IKM" in words and "B mutu pelayanan: Baik" in words
        assert "3 responden" in words and 'href="/static/laporan.css"' in r.text
        css = (await head.http.get("/static/laporan.css")).text
        assert "size: A4" in css and "@media print" in css
        r = await head.http.get("/staf/skm.csv", params={"tenant": "batam",
                                                         "tahun": str(today.year),
                                                         "periode": period[-1]})
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["bagian", "uraian", "nilai_rata_rata", "nilai_konversi", "mutu", "jumlah"]
    assert rows[1][0] == "IKM" and rows[1][2:] == ["3.296", "82.41", "B (Baik)", "3"]
    assert rows[2] == ["Unsur", "U1 Persyaratan", "3.00", "75.00", "C", "3"]
    assert rows[3][2:] == ["3.33", "83.33", "B", "3"]
    profile = {(row[0], row[1]): row[5] for row in rows if row[0].startswith("Profil")}
    assert profile[("Profil: Jenis kelamin", "Laki-laki")] == "1"
    assert profile[("Profil: Jenis kelamin", "Perempuan")] == "1"
    assert profile[("Profil: Jenis kelamin", "Tidak diisi")] == "1"
    assert profile[("Profil: Usia", "21–30 tahun")] == "1"
    assert profile[("Profil: Usia", "41–50 tahun")] == "1"
    assert profile[("Profil: Pendidikan terakhir", "D4/S1")] == "1"
    assert profile[("Profil: Pendidikan terakhir", "Tidak diisi")] == "2"
    assert profile[("Profil: Pekerjaan utama", "Pegawai swasta")] == "1"
    # The previous semester has none of them; a bad period names the field.
    r = await hd.http.get("/api/v1/units/batam/skm", params={"periode": f"{today.year - 1}"},
                          headers={"Authorization": f"Bearer {await token(hd, 'kepala.btm')}"})
    assert r.json()["respondents"] == 0 and r.json()["ikm"] is None
    r = await hd.http.get("/api/v1/units/batam/skm", params={"periode": "2026-S3"},
                          headers={"Authorization": f"Bearer {await token(hd, 'kepala.btm')}"})
    assert r.status_code == 400 and r.json()["field"] == "periode"


async def token(hd, username: str) -> str:
    from scenario import PASSWORD

    r = await hd.http.post("/api/v1/auth/token", json={"username": username,
                                                       "password": PASSWORD})
    return r.json()["access_token"]


async def access_log(hd, base: str, ticket: dict, with_file: dict) -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=60)
    async with WebClient(base) as staff:
        assert (await staff.login("hd.btm")).status_code == 303
        r = await staff.http.get(f"/staf/tiket/{ticket['number']}")
        assert r.status_code == 200 and "Budi Santoso" in r.text
        # The helpdesk may not read the log itself.
        assert (await staff.http.get("/staf/akses-data.csv", params={
            "tenant": "batam", "since": before.date().isoformat()})).status_code == 403
    async with WebClient(base) as coordinator:
        assert (await coordinator.login("koor.btm")).status_code == 303
        page = await coordinator.http.get("/staf/akses-data")
        assert page.status_code == 200 and "Pasal 46" in page.text
        r = await coordinator.http.get("/staf/akses-data.csv", params={
            "tenant": "batam", "since": before.astimezone(ZONE).date().isoformat()})
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    found = [row for row in csv.DictReader(io.StringIO(r.text))
             if row["petugas"] == "hd.btm" and row["nomor_tiket"] == ticket["number"]]
    assert found, r.text
    row = found[0]
    assert (row["jenis_akses"], row["unit"], row["peran"], row["alamat_ip"]) == (
        "lihat_tiket", "batam", "helpdesk", "127.0.0.1")
    at = datetime.fromisoformat(row["waktu_utc"])
    assert before <= at <= datetime.now(UTC), row
    # The page polled nothing twice: one row for one look, though the page read the API.
    assert len(found) == 1
    # The download, from the address the caller forwarded (the pages forward the browser's).
    downloads = [(row["petugas"], row["alamat_ip"]) for row in csv.DictReader(io.StringIO(r.text))
                 if row["nomor_tiket"] == with_file["number"]
                 and row["jenis_akses"] == "unduh_lampiran"]
    assert downloads == [("hd.btm", "203.0.113.9")], r.text
    exports = sorted((row["petugas"], row["alamat_ip"]) for row in csv.DictReader(
        io.StringIO(r.text)) if row["nomor_tiket"] == ticket["number"]
        and row["jenis_akses"] == "ekspor")
    assert exports == [("admin.btm", "127.0.0.1"), (f"cli:{getpass.getuser()}", "lokal")]
    # The same from the command line, as a breach report would take it.
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["personal-data", "access-log", "--data-dir", str(hd.settings.data_dir),
                     "--tenant", "batam", "--since", before.isoformat()])
    assert code == 0
    cli_rows = [row for row in csv.DictReader(io.StringIO(out.getvalue()))
                if row["petugas"] == "hd.btm" and row["nomor_tiket"] == ticket["number"]]
    assert [r["waktu_utc"] for r in cli_rows] == [row["waktu_utc"]]
