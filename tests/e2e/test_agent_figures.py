"""Per-agent figures of a unit (`services/desk/agents.py`) in the figures API and on the
head-of-unit dashboard: open tickets assigned now, tickets closed in the period, the median time
to the first response. Real nats-server, real HTTP."""

from __future__ import annotations

import re

from conftest import eventually, make_settings, running_helpdesk
from scenario import Desk
from webclient import WebClient, text_of


async def test_figures_and_dashboard_show_each_staff_members_work(tmp_path, nats_server):
    async with running_helpdesk(make_settings(tmp_path, nats_server.url)) as hd:
        batam = Desk(hd, "batam")
        kepala = await batam.staff("kepala.btm", "kepala_unit")
        satu = await batam.staff("hd.satu", "helpdesk")
        dua = await batam.staff("hd.dua", "helpdesk")
        a = await batam.report(subject="Tidak bisa login SPSE")
        b = await batam.report(subject="Gagal unggah penawaran")
        c = await batam.report(subject="Minta reset akun")
        for who, ticket in ((satu, a), (satu, b), (dua, c)):
            await batam.act(who, ticket, "claim", {})
        await batam.act(satu, a, "reply", {"message": "Sedang kami periksa."})
        await batam.act(dua, c, "request-info", {"message": "Mohon kirim tangkapan layar."})
        await batam.act(satu, b, "close", {"resolution": "Selesai"})
        headers = {"Authorization": f"Bearer {batam.tokens[kepala]}"}

        async def agents():
            r = await hd.http.get("/api/v1/units/batam/figures", headers=headers)
            assert r.status_code == 200, r.text
            rows = {row["username"]: row for row in r.json()["agents"]}
            done = rows.get(satu, {}).get("closed") == 1 and rows[dua]["first_responses"] == 1
            return rows if done and rows[satu]["first_responses"] == 1 else None

        rows = await eventually(agents, what="angka per petugas")
        assert set(rows) == {kepala, satu, dua}
        assert (rows[satu]["open_assigned"], rows[satu]["closed"]) == (1, 1)
        assert (rows[dua]["open_assigned"], rows[dua]["closed"]) == (1, 0)
        assert (rows[kepala]["open_assigned"], rows[kepala]["closed"]) == (0, 0)
        assert rows[kepala]["median_first_response_minutes"] is None
        for who in (satu, dua):
            assert 0 <= rows[who]["median_first_response_minutes"] < 10

        async with WebClient(str(hd.http.base_url)) as web:
            await web.login(kepala)
            page = await web.http.get("/staf/dasbor")
            assert page.status_code == 200, page.text
            section = page.text.split('id="per-petugas"')[1].split("</section>")[0]
            cells = {m[0]: m[1:] for m in re.findall(
                r"<small>(hd\.\w+)</small></td><td>(\d+)</td><td>(\d+)</td><td>([^<]*)</td>",
                section)}
            assert cells[satu][:2] == ("1", "1") and cells[dua][:2] == ("1", "0")
            assert all(re.fullmatch(r"(\d+|&lt; 1) menit \(1 tiket\)", cells[w][2])
                       for w in (satu, dua))
            assert "Per petugas" in text_of(page)
