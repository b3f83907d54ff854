"""Canned replies of a unit over the API: staff of the unit add, list, edit and delete them;
other units' staff cannot; with `ticket` they come ranked by the words shared with it."""

from __future__ import annotations

from conftest import make_settings, running_helpdesk
from scenario import Desk


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
