""""Tiket saya" and what reporters see, on one running helpdesk with a real mail sink: a link
asked by e-mail (the same answer for a known and an unknown address, limited per address and
per client), the mailed link listing the reporter's tickets and only theirs, a forged or
expired link refused, each ticket opened from the list, a reply with a file that staff see,
and the reporter's page and API without escalation reasons, usernames or the classifier's
confidence. Then the same link flow in Chromium, as a reporter uses it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from chromium import FLAGS, chromium_or_skip
from conftest import PNG, eventually, make_settings, running_helpdesk
from paged import refuses_bad_paging
from scenario import Desk
from webclient import WebClient, text_of

from lpse_helpdesk.services.desk import reporter_links
from lpse_helpdesk.services.desk.reporter_http import PER_ADDRESS

ANI, BUDI = "ani.penyedia@contoh.co.id", "budi@lain.co.id"
UNKNOWN = "tidak.ada@contoh.co.id"
REASON = "ALASAN-INTERNAL-ESKALASI-7Q"  # staff to staff: never for the reporter
NOTE = "CATATAN-STAF-9Z"
ANSWER_UP = "JAWABAN-ANTAR-TINGKAT-4K"
USERNAME = "petugas.rahasia"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _links(sink, to: str) -> list[str]:
    found = []
    for rcpt, mail in sink.messages:
        if rcpt == to and "Tiket saya" in str(mail["Subject"]):
            text = mail.get_body(("plain",)).get_content()
            found += [w for w in text.split() if "/portal/tiket-saya/masuk?tautan=" in w]
    return found


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


async def test_my_tickets_by_mail_and_what_reporters_see(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url,
                             rate_logins_per_minute=12)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk = await d.staff(USERNAME, "helpdesk")
        ppe = await d.staff("ppe.rahasia", "admin_ppe")
        first = await d.report(reporter={"name": "Ani", "email": ANI},
                               subject="Gagal unggah penawaran", description="Tombol error")
        second = await d.report(reporter={"name": "Ani", "email": ANI.upper()},
                                subject="Lupa kata sandi SPSE", description="Tidak bisa masuk")
        other = await d.report(reporter={"name": "Budi", "email": BUDI},
                               subject="Tender orang lain", description="Bukan milik Ani")
        api = hd.http

        # The same answer for a known and an unknown address; the mail only to the known one.
        known = await api.post("/api/v1/reporters/link", json={"tenant": "batubara", "email": ANI})
        unknown = await api.post("/api/v1/reporters/link",
                                 json={"tenant": "batubara", "email": UNKNOWN})
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()
        assert "Jika alamat terdaftar" in known.json()["detail"]
        link = (await eventually(lambda: _links(sink, ANI), what="surat tautan Tiket saya"))[0]
        token = link.split("tautan=", 1)[1]
        assert not _links(sink, UNKNOWN) and UNKNOWN not in [to for to, _ in sink.messages]

        # The link lists both of Ani's tickets (any case of the address), none of Budi's.
        listed = await api.get("/api/v1/reporters/tickets", headers={"X-Reporter-Link": token})
        assert listed.status_code == 200
        numbers = [t["number"] for t in listed.json()["tickets"]]
        assert sorted(numbers) == sorted([first["number"], second["number"]])
        assert other["number"] not in numbers
        row = next(t for t in listed.json()["tickets"] if t["number"] == first["number"])
        assert row["subject"] == "Gagal unggah penawaran" and row["status"] and row["updated_at"]
        assert row["access_token"] == first["access_token"]  # a lost token, recovered
        # A page at a time, newest first: `next` is the cursor for `after`.
        page_one = (await api.get("/api/v1/reporters/tickets", params={"limit": 1},
                                  headers={"X-Reporter-Link": token})).json()
        page_two = (await api.get("/api/v1/reporters/tickets", headers={
            "X-Reporter-Link": token}, params={"limit": 1, "after": page_one["next"]})).json()
        assert [t["number"] for t in page_one["tickets"] + page_two["tickets"]] == numbers
        assert page_two["next"] is None and listed.json()["next"] is None
        await refuses_bad_paging(api, "/api/v1/reporters/tickets", {},
                                 {"X-Reporter-Link": token})

        # A forged, an expired and another purpose's token are refused.
        signer = hd.runtime.signer
        expired = reporter_links.issue(signer, "batubara", ANI, now=time.time() - 31 * 60)
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        for bad in (forged, expired, first["access_token"], "x" * 40):
            refused = await api.get("/api/v1/reporters/tickets", headers={"X-Reporter-Link": bad})
            assert refused.status_code == 401, bad
            assert "kedaluwarsa" in refused.json()["detail"]

        # Seed what a reporter must never read: an escalation reason, a note, an answer between
        # tiers, the classifier's confidence (every automatic classification has one).
        await d.act(helpdesk, first, "escalate", {"reason": REASON})
        await d.act(helpdesk, first, "notes", {"message": NOTE})
        await d.act(ppe, first, "answer", {"message": ANSWER_UP})
        await d.until(first, lambda x: x["tier"] == "helpdesk", "kembali ke helpdesk")
        await d.act(helpdesk, first, "reply", {"message": "Silakan unggah ulang berkasnya."})

        base = str(hd.http.base_url)
        async with WebClient(base) as web:
            # The portal refuses a forged link, then swaps the mailed one for a cookie.
            refused = await web.http.get("/portal/tiket-saya/masuk", params={"tautan": forged})
            assert refused.status_code == 401 and "kedaluwarsa" in refused.text
            assert "lpse_tiket_saya" not in refused.headers.get("set-cookie", "")
            entered = await web.http.get(_path(link))
            assert entered.status_code == 303 and "tautan" not in entered.headers["location"]
            assert "httponly" in entered.headers["set-cookie"].lower()
            mine = await web.http.get("/portal/tiket-saya")
            assert first["number"] in mine.text and second["number"] in mine.text
            assert other["number"] not in mine.text and "Lupa kata sandi SPSE" in mine.text
            theirs = await web.http.get(f"/portal/tiket-saya/buka/{other['number']}")
            assert theirs.status_code == 404
            opened = await web.http.get(f"/portal/tiket-saya/buka/{first['number']}")
            assert opened.status_code == 303
            status = opened.headers["location"]
            page = await web.http.get(status)
            assert f"Tiket {first['number']}" in page.text and "Silakan unggah ulang" in page.text

            # A reply with a file, from the ticket's page; staff see and download it.
            replied = await web.form(f"/portal/tiket/{first['number']}/balas",
                                     {"message": "Berkas terlampir."}, page=status,
                                     files={"files": ("bukti.png", PNG, "image/png")})
            assert replied.status_code == 303, replied.text
            staff_view = await d.until(first, lambda x: any(
                e["type"] == "ticket.reporter_replied" and e["event"]["attachments"]
                for e in x["timeline"]), "balasan berlampiran", who=helpdesk)
            ref = next(e["event"]["attachments"][0] for e in staff_view["timeline"]
                       if e["type"] == "ticket.reporter_replied")
            assert ref["filename"] == "bukti.png" and ref["content_type"] == "image/png"
            async with WebClient(base) as staff:
                await staff.login(USERNAME)
                ticket_page = await staff.http.get(f"/staf/tiket/{first['number']}")
                assert "bukti.png" in ticket_page.text
                download = re.search(r'href="([^"]+/lampiran/[^"]+)"', ticket_page.text)
                assert (await staff.http.get(download.group(1))).content == PNG
            refused_file = await web.form(f"/portal/tiket/{first['number']}/balas",
                                          {"message": "Ini bukan gambar"}, page=status,
                                          files={"files": ("virus.exe", b"MZ\x90\x00" * 50,
                                                           "application/octet-stream")})
            assert refused_file.status_code in (400, 413, 415) and "virus.exe" in refused_file.text

            # What the reporter reads, on the page and in the API with their token.
            await d.act(helpdesk, first, "close", {"resolution": "JAWABAN-AKHIR: unggah ulang."})
            closed = await eventually(lambda: _closed(web, status), what="halaman tiket ditutup")
            text = text_of(closed)
            as_reporter = (await api.get(f"/api/v1/tickets/{first['number']}",
                                         params={"token": first["access_token"]})).text
            for shown in (closed.text, as_reporter):
                for secret in (REASON, NOTE, ANSWER_UP, USERNAME, "ppe.rahasia", "confidence",
                               "model_version"):
                    assert secret not in shown, secret
            assert text.index("JAWABAN-AKHIR") < text.index("Survei Kepuasan Masyarakat")
            assert "Petugas Helpdesk" in text  # the display name (here the role's)
            as_staff = (await d.view(first, helpdesk))
            assert REASON in str(as_staff) and "confidence" in str(as_staff)  # seeded for real

        await _in_a_browser(base, sink, first["number"])

        # Limits: per address (also for an unknown one), then per client address.
        for _ in range(PER_ADDRESS - 1):
            assert (await api.post("/api/v1/reporters/link",
                                   json={"tenant": "batubara", "email": UNKNOWN})).status_code == 202
        flood = await api.post("/api/v1/reporters/link",
                               json={"tenant": "batubara", "email": UNKNOWN.upper()})
        assert flood.status_code == 429 and "alamat email ini" in flood.json()["detail"]
        answers = [await api.post("/api/v1/reporters/link",
                                  json={"tenant": "batubara", "email": f"orang{i}@contoh.co.id"})
                   for i in range(12)]
        assert answers[-1].status_code == 429
        assert "Terlalu banyak permintaan" in answers[-1].json()["detail"]


async def _closed(web: WebClient, status: str):
    r = await web.http.get(status)
    return r if "Apakah masalah Anda sudah selesai?" in r.text else None


async def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def _in_a_browser(base: str, sink, number: str) -> None:
    """The link flow as a reporter walks it, JavaScript off: the status lookup, "Tiket saya",
    the address, the mail's link, the list, a ticket."""
    from playwright.async_api import async_playwright, expect

    chromium = chromium_or_skip()
    before = len(_links(sink, BUDI))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=FLAGS)
        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await page.goto(f"{base}/portal/status")  # where a reporter without a token looks
        await page.locator("#ke-tiket-saya").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tiket saya")
        await page.get_by_label("Unit LPSE").select_option("batubara")
        await page.get_by_label("Alamat email").fill(BUDI)
        await page.get_by_role("button", name="Kirim tautan").click()
        await expect(page.locator("body")).to_contain_text("Jika alamat terdaftar")
        await _shot(page, "30-portal-tiket-saya-minta")
        links = await eventually(lambda: _links(sink, BUDI)[before:] or None, what="tautan Budi")
        await page.goto(links[0])
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tiket saya")
        await expect(page.locator("#tiket-saya")).to_contain_text("Tender orang lain")
        await expect(page.locator("#tiket-saya")).not_to_contain_text(number)
        await _shot(page, "31-portal-tiket-saya-daftar")
        await page.locator("#tiket-saya a").first.click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Tiket ")
        await expect(page.locator("body")).to_contain_text("Tender orang lain")
        await browser.close()

