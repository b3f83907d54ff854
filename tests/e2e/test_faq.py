"""FAQ entries from closed tickets: no personal data, review, Indonesian search, retraction,
near-duplicates, and a rebuild from the stream that gives the same FAQ."""

from __future__ import annotations

import asyncio
import json
import uuid
from urllib.parse import urlsplit

from conftest import eventually, make_settings, running_helpdesk
from paged import refuses_bad_paging, walk
from scenario import Desk

from lpse_helpdesk.cli import main
from lpse_helpdesk.platform import paging

PERSONAL = ["budi.santoso@majujaya.co.id", "0812-3456-7890", "3171012345678901",
            "01.234.567.8-901.000", "Budi Santoso", "CV Maju Jaya", "token=rahasia123"]


async def close_for_faq(d: Desk, helpdesk: str, subject: str, description: str, resolution: str,
                        **reporter) -> dict:
    t = await d.report(subject=subject, description=description,
                       reporter={"name": "Pelapor", **reporter})
    await d.act(helpdesk, t, "close", {"resolution": resolution, "publish_faq": True})
    return t


async def drafts(hd, d: Desk, reviewer: str, tenant: str, count: int) -> list[dict]:
    async def probe():
        r = await hd.http.get("/api/v1/faq/drafts", params={"tenant": tenant},
                              headers={"Authorization": f"Bearer {d.tokens[reviewer]}"})
        return r.json() if r.status_code == 200 and len(r.json()) >= count else None
    return await eventually(probe, what=f"{count} draf FAQ")


async def review(hd, d: Desk, reviewer: str, path: str, body: dict | None = None) -> dict:
    r = await hd.http.post(path, json=body or {}, headers={"Authorization": f"Bearer {d.tokens[reviewer]}"})
    assert r.status_code == 200, r.text
    return r.json()


async def faq(hd, tenant: str, q: str = "") -> list[dict]:
    r = await hd.http.get("/api/v1/faq", params={"tenant": tenant, "q": q})
    assert r.status_code == 200, r.text
    return r.json()


async def test_published_entry_holds_no_personal_data_and_search_works(tmp_path, nats_server,
                                                                       database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk, ppe = await d.staff("hd.btb", "helpdesk"), await d.staff("ppe.btb", "admin_ppe")
        await close_for_faq(
            d, helpdesk, "Gagal mengunggah dokumen penawaran",
            "Saya Budi Santoso dari CV Maju Jaya tidak bisa upload dokumen penawaran. Hubungi "
            "budi.santoso@majujaya.co.id atau 0812-3456-7890, NIK 3171012345678901, NPWP "
            "01.234.567.8-901.000, link https://lpse.example/x?token=rahasia123",
            "Perkecil ukuran berkas di bawah 20 MB lalu unggah ulang dokumen penawaran.",
            name="Budi Santoso", email="budi.santoso@majujaya.co.id", organization="CV Maju Jaya")
        await close_for_faq(d, helpdesk, "Sertifikat elektronik kedaluwarsa",
                            "Sertifikat saya tidak bisa dipakai saat tender",
                            "Perbarui sertifikat melalui BSrE lalu impor ulang.")
        await close_for_faq(d, helpdesk, "Jadwal pelatihan penyedia",
                            "Kapan ada pelatihan untuk penyedia baru?",
                            "Pelatihan diadakan setiap Kamis pertama tiap bulan.")
        found = await drafts(hd, d, ppe, "batubara", 3)
        upload = next(x for x in found if "penawaran" in x["question"])
        assert upload["removed"] == {"email": 1, "telepon": 1, "NIK": 1, "NPWP": 1,
                                     "URL bertoken": 1, "nama": 1, "perusahaan/instansi": 1}
        staff = {"Authorization": f"Bearer {d.tokens[ppe]}"}
        paged, pages = await walk(hd.http, "/api/v1/faq/drafts", {"tenant": "batubara"}, staff,
                                  limit=1)
        assert pages == 3 and sorted(e["id"] for e in paged) == sorted(e["id"] for e in found)
        await refuses_bad_paging(hd.http, "/api/v1/faq/drafts", {"tenant": "batubara"}, staff)
        # Read a page at a time in SQL, yet counted whole; another list's cursor is a 400.
        r = await hd.http.get("/api/v1/faq/drafts", headers=staff,
                              params={"tenant": "batubara", "limit": 1})
        assert len(r.json()) == 1 and r.headers["x-total-count"] == "3"
        r = await hd.http.get("/api/v1/faq/drafts", headers=staff, params={
            "tenant": "batubara", "after": paging.encode(["2026-01-01", "BTB-1"])})
        assert r.status_code == 400 and r.json()["field"] == "after", r.text
        for draft in found:
            await review(hd, d, ppe, f"/api/v1/faq/drafts/{draft['id']}/publish")
        # The public list and its feed, a page at a time, each entry once.
        paged, pages = await walk(hd.http, "/api/v1/faq", {"tenant": "batubara"}, limit=2)
        assert pages == 2 and sorted(e["id"] for e in paged) == sorted(e["id"] for e in found)
        await refuses_bad_paging(hd.http, "/api/v1/faq", {"tenant": "batubara"})
        fed, url = [], "/api/v1/faq/feed?tenant=batubara&limit=1"
        while url:
            page_of_feed = (await hd.http.get(url)).json()
            fed += [item["id"] for item in page_of_feed["items"]]
            following = urlsplit(page_of_feed.get("next_url", ""))
            url = f"{following.path}?{following.query}" if following.query else ""
        assert sorted(fed) == sorted(e["id"] for e in found)

        everything = json.dumps(await faq(hd, "batubara"))
        page = (await hd.http.get("/faq/batubara")).text
        feed = json.dumps((await hd.http.get("/api/v1/faq/feed", params={"tenant": "batubara"})).json())
        faq_events = [n.state.decode() for n in
                      hd.runtime.service("faq_publisher").store.notifications(0, 1000)]
        for secret in PERSONAL:
            for where in (everything, page, feed, *faq_events):
                assert secret.lower() not in where.lower(), (secret, where[:300])

        # Indonesian search: affixes and synonyms ("mengunggah" = "unggah" = "upload").
        hits = await faq(hd, "batubara", "cara unggah berkas penawaran")
        assert hits and "penawaran" in hits[0]["question"]
        assert (await faq(hd, "batubara", "BSrE"))[0]["question"].startswith("Sertifikat")  # answer
        assert (await faq(hd, "batubara", "pelatihan"))[0]["question"].startswith("Jadwal")
        assert await faq(hd, "batubara", "swakelola konstruksi") == []

        # Retracting removes the entry from search at once.
        await review(hd, d, ppe, f"/api/v1/faq/{hits[0]['id']}/retract", {"reason": "usang"})
        assert all("penawaran" not in e["question"] for e in await faq(hd, "batubara", "penawaran"))


async def test_units_without_faq_get_none(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "tuban")  # Tuban's standard publishes no FAQ
        helpdesk = await d.staff("hd.tbn", "helpdesk")
        t = await close_for_faq(d, helpdesk, "Lupa kata sandi", "Mohon reset", "Sudah direset",
                                email="a@b.id", phone="0812")
        await d.until(t, lambda x: x["status"] == "closed", "ditutup")
        store = hd.runtime.service("faq_publisher").store
        await eventually(lambda: store.query(
            "SELECT COUNT(*) FROM faq_publisher_ticket_events WHERE type = 'ticket.closed'")[0][0] == 1,
            what="penutupan terbaca")
        assert store.notifications(0, 10) == []
        assert (await hd.http.get("/api/v1/faq", params={"tenant": "tuban"})).status_code == 404


async def test_near_duplicates_grouped_and_rebuild_gives_the_same_faq(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "basarnas")
        helpdesk, ppe = await d.staff("hd.bsn", "helpdesk"), await d.staff("ppe.bsn", "admin_ppe")
        body = {"documents": {"screenshot": "terlampir"}}
        t1 = await d.report(subject="Tidak bisa login SPSE", description="Akun penyedia tidak bisa login", **body)
        await d.act(helpdesk, t1, "close", {"resolution": "Reset kata sandi lewat menu lupa sandi.",
                                            "publish_faq": True})
        [first] = await drafts(hd, d, ppe, "basarnas", 1)
        await review(hd, d, ppe, f"/api/v1/faq/drafts/{first['id']}/publish")
        t2 = await d.report(subject="Tidak bisa login ke SPSE", description="Akun penyedia saya tidak bisa login", **body)
        await d.act(helpdesk, t2, "close", {"resolution": "Reset kata sandi.", "publish_faq": True})
        [second] = await drafts(hd, d, ppe, "basarnas", 1)
        assert second["similar"] == [first["id"]]  # shown to the reviewer as a candidate
        await review(hd, d, ppe, f"/api/v1/faq/{second['id']}/merge", {"into": first["id"]})
        [entry] = await faq(hd, "basarnas")
        assert entry["asked"] == 2
        r = await hd.http.post(f"/api/v1/faq/{entry['id']}/helpful", json={"helpful": True})
        assert r.status_code == 204
        made_up = await hd.http.post(f"/api/v1/faq/{uuid.uuid4()}/helpful", json={"helpful": True})
        merged = await hd.http.post(f"/api/v1/faq/{second['id']}/helpful", json={"helpful": True})
        assert made_up.status_code == 404 and merged.status_code == 404  # only published entries
        # An update of a published entry, and a rejected draft.
        await review(hd, d, ppe, f"/api/v1/faq/{entry['id']}/edit", {
            "question": entry["question"], "answer": "Gunakan menu Lupa Kata Sandi di SPSE."})
        assert (await faq(hd, "basarnas", "menu sandi"))[0]["answer"].startswith("Gunakan menu")
        t3 = await d.report(subject="Tes coba", description="Abaikan saja", **body)
        await d.act(helpdesk, t3, "close", {"resolution": "Tidak perlu", "publish_faq": True})
        [third] = await drafts(hd, d, ppe, "basarnas", 1)
        await review(hd, d, ppe, f"/api/v1/faq/drafts/{third['id']}/reject", {"reason": "uji"})
        r = await hd.http.post(f"/api/v1/faq/drafts/{third['id']}/publish",
                               headers={"Authorization": f"Bearer {d.tokens[ppe]}"})
        assert r.status_code == 409 and "rejected" in r.json()["detail"]
        helpdesk_try = await hd.http.post(f"/api/v1/faq/{entry['id']}/retract", json={},
                                          headers={"Authorization": f"Bearer {d.tokens[helpdesk]}"})
        assert helpdesk_try.status_code == 403
        before = await faq(hd, "basarnas")
        before_search = await faq(hd, "basarnas", "login")

    # As an operator runs it, with the service stopped (a thread: main() runs its own loop).
    assert await asyncio.to_thread(main, ["rebuild", "faq_publisher", "--data-dir",
                                          str(settings.data_dir), "--nats", nats_server.url]) == 0
    from lpse_helpdesk.platform.store import ServiceStore
    from lpse_helpdesk.services import definition

    store = ServiceStore("faq_publisher", settings, definition("faq_publisher").tables)
    assert store.query("SELECT COUNT(*) FROM faq_publisher_entries") == [(0,)]
    store.close()
    async with running_helpdesk(settings) as hd:
        await eventually(lambda: _same(hd, before), what="FAQ dibangun ulang sama")
        assert await faq(hd, "basarnas", "login") == before_search


async def _same(hd, before):
    return await faq(hd, "basarnas") == before


async def test_a_draft_with_a_long_number_is_published_only_when_confirmed(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk, ppe = await d.staff("hd.btb", "helpdesk"), await d.staff("ppe.btb", "admin_ppe")
        await close_for_faq(d, helpdesk, "Biaya aktivasi akun",
                            "Sudah transfer ke 7712345678 tapi akun belum aktif. Kata Pak Joko "
                            "hubungi LPSE di 0622697703.",
                            "Aktivasi akun penyedia tidak dipungut biaya. Hubungi helpdesk di "
                            "082362213178.")
        [draft] = await drafts(hd, d, ppe, "batubara", 1)
        # The unit's own numbers (its standard's contacts) stay; the third person goes.
        assert "0622697703" in draft["question"] and "082362213178" in draft["answer"]
        assert "Joko" not in draft["question"] and draft["removed"] == {"nama": 1}

        path = f"/api/v1/faq/drafts/{draft['id']}/publish"
        headers = {"Authorization": f"Bearer {d.tokens[ppe]}"}
        refused = await hd.http.post(path, headers=headers)  # no body, as reviewers send today
        assert refused.status_code == 409, refused.text
        detail = refused.json()["detail"]
        assert "7712345678" in detail and "10 digit" in detail and "pertanyaan karakter ke-" in detail
        assert "confirm_digits" in detail and "0622697703" not in detail
        assert await faq(hd, "batubara") == []

        await review(hd, d, ppe, path, {"confirm_digits": True})
        [entry] = await faq(hd, "batubara")
        assert "7712345678" in entry["question"]
