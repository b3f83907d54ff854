"""A reporter's access token stays out of addresses: the mailed link is swapped for a cookie on
first use; pages, forms and downloads read the cookie. One-time messages come from a signed
cookie, never from `?pesan=`. The FAQ feed names the configured public address, not `Host`."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys


from conftest import eventually, make_settings, running_helpdesk
from mailsink import MailSink
from scenario import Desk
from webclient import WebClient, text_of

REPORTER = "budi@contoh.co.id"
FORGED = "Transfer biaya aktivasi ke rekening 1234567890"


async def _mailed_link(sink: MailSink, number: str, words: str) -> str:
    """The portal link of the mail about `number` whose subject holds `words`."""
    def find():
        for _, mail in sink.messages:
            if number in str(mail["Subject"]) and words in str(mail["Subject"]):
                text = mail.get_body(("plain",)).get_content()
                return next(w for w in text.split() if "/portal/status?" in w)
        return None
    return await eventually(find, timeout=20, what=f"surat '{words}' untuk {number}")


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


async def test_a_mailed_link_becomes_a_cookie_and_every_step_works_with_it(tmp_path, nats_server,
                                                                          sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk = await d.staff("hd.btb", "helpdesk")
        t = await d.report(reporter={"name": "Budi", "email": REPORTER},
                           subject="Tidak bisa kirim penawaran", description="Tombol kirim error")
        n, base = t["number"], str(hd.http.base_url)
        link = _path(await _mailed_link(sink, n, "sudah kami terima"))
        assert "token=" in link  # the mail is the one place the token travels
        async with WebClient(base) as web, WebClient(base) as stranger:
            first = await web.http.get(link)
            assert first.status_code == 303 and first.headers["location"] == f"/portal/status?nomor={n}"
            cookie = first.headers["set-cookie"].lower()
            assert f"tiket_{n.lower()}=" in cookie and "httponly" in cookie
            assert "samesite=lax" in cookie and "path=/portal" in cookie and "; secure" not in cookie
            status = f"/portal/status?nomor={n}"
            shown = await web.http.get(status)
            assert shown.status_code == 200 and f"Tiket {n}" in shown.text
            assert "Tidak bisa kirim penawaran" in shown.text
            assert "token=" not in shown.text and t["access_token"] not in shown.text

            # Without the cookie (and without the token) nothing of the ticket shows or moves.
            blind = await stranger.http.get(status)
            assert blind.status_code == 200 and "Tidak bisa kirim penawaran" not in blind.text
            assert "Cek status tiket" in blind.text
            pushed = await stranger.form(f"/portal/tiket/{n}/balas", {"message": "palsu"},
                                         page=status)
            assert pushed.status_code == 403
            stranger.http.cookies.set(f"tiket_{n}", f"{t['access_token']}.bukan-tanda-tangan")
            planted = await stranger.http.get(status)  # even with the token: not our signature
            assert "Tidak bisa kirim penawaran" not in planted.text

            # Reply with the cookie alone; the flash shows once, then not on reload.
            replied = await web.form(f"/portal/tiket/{n}/balas",
                                     {"message": "Terlampir tangkapan layarnya."}, page=status)
            assert replied.status_code == 303 and replied.headers["location"] == status
            after = await web.http.get(status)
            assert "Balasan Anda terkirim ke helpdesk." in text_of(after)
            assert "Terlampir tangkapan layarnya." in after.text
            again = await web.http.get(status)
            assert "Balasan Anda terkirim" not in text_of(again)
            assert "palsu" not in again.text

            await d.act(helpdesk, t, "close", {"resolution": "Jadwal tender diperbaiki."})
            closed_link = _path(await _mailed_link(sink, n, "diselesaikan"))
            assert (await web.http.get(closed_link)).status_code == 303
            page = await eventually(lambda: _closed_page(web, status), what="halaman ditutup")
            assert "token=" not in page.text
            confirmed = await web.form(f"/portal/tiket/{n}/konfirmasi", {"solved": "1"},
                                       page=status)
            assert confirmed.status_code == 303 and "token" not in confirmed.headers["location"]
            assert "Terima kasih atas konfirmasi Anda." in text_of(await web.http.get(status))

            # A crafted `?pesan=` puts no words on any page.
            for path in ("/", status, "/staf/masuk", "/portal/status", "/faq/batubara",
                         "/portal/batubara/tiket-baru"):
                r = await web.http.get(path, params={"pesan": FORGED})
                assert FORGED not in r.text, path
            # Nor does a flash cookie the helpdesk did not sign.
            body = base64.urlsafe_b64encode(json.dumps([FORGED, 2**40]).encode()).decode()
            stranger.http.cookies.set("lpse_pesan", f"{body}.AAAA")
            unsigned = await stranger.http.get("/")
            assert unsigned.status_code == 200 and FORGED not in unsigned.text

            # On a shared computer the reporter can take the ticket out of this browser.
            gone = await web.form(f"/portal/tiket/{n}/lupakan", {}, page=status)
            assert gone.status_code == 303
            assert "Jadwal tender" not in (await web.http.get(status)).text


async def _closed_page(web: WebClient, status: str):
    r = await web.http.get(status)
    return r if "Apakah masalah Anda sudah selesai?" in r.text else None


async def test_new_tickets_lookup_and_downloads_keep_the_token_out_of_addresses(
        tmp_path, nats_server):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        base, form = str(hd.http.base_url), "/portal/batam/tiket-baru"
        data = {"name": "Rina", "email": "rina@contoh.co.id", "phone": "0812",
                "organization": "PT Sinar", "subject": "Gagal unggah penawaran",
                "description": "Tombol unggah tidak merespons."}
        async with WebClient(base) as web, WebClient(base) as other:
            sent = await web.form(form, data, page=form, files={"files": ("layar.png", png,
                                                                          "image/png")})
            assert sent.status_code == 303 and "token" not in sent.headers["location"]
            done = await web.http.get(sent.headers["location"])
            number = re.search(r'id="nomor-tiket">([^<]+)<', done.text).group(1)
            token = re.search(r'id="token-akses">([^<]+)<', done.text).group(1)
            assert "token=" not in done.text  # shown to note down, linked without it
            status = f"/portal/status?nomor={number}"

            async def classified():
                r = await web.http.get(status)
                return r if "Diklasifikasi" in r.text else None
            page = await eventually(classified, what="status tiket di portal")
            assert "token=" not in page.text
            link = re.search(r'href="(/portal/tiket/[^"]+/lampiran/[^"]+)"', page.text).group(1)
            assert (await web.http.get(link)).content == png
            assert (await other.http.get(link)).status_code == 403  # no cookie, no file

            # The lookup form posts the token; a wrong one sets nothing.
            wrong = await other.form("/portal/status", {"nomor": number, "token": "x" * 32},
                                     page="/portal/status")
            assert wrong.status_code == 404 and "token akses salah" in text_of(wrong)
            assert "tiket_" not in wrong.headers.get("set-cookie", "")
            right = await other.form("/portal/status", {"nomor": number, "token": token},
                                     page="/portal/status")
            assert right.status_code == 303 and right.headers["location"] == status
            assert "Gagal unggah penawaran" in (await other.http.get(status)).text


async def test_feed_links_and_cookies_follow_the_configured_public_url(tmp_path, nats_server):
    public = "https://helpdesk.contoh.go.id"
    settings = make_settings(tmp_path, nats_server.url, public_url=public)
    async with running_helpdesk(settings) as hd:
        feed = await hd.http.get("/api/v1/faq/feed", params={"tenant": "batubara"},
                                 headers={"Host": "penipu.example"})
        assert feed.status_code == 200
        body = feed.json()
        assert body["home_page_url"] == f"{public}/faq/batubara"
        assert body["feed_url"] == f"{public}/api/v1/faq/feed?tenant=batubara"
        assert "penipu" not in feed.text
        t = await Desk(hd, "batam").report()
        opened = await hd.http.get("/portal/status", params={"nomor": t["number"],
                                                             "token": t["access_token"]})
        assert opened.status_code == 303 and "; secure" in opened.headers["set-cookie"].lower()


async def test_a_link_mailed_before_a_secret_rotation_still_opens_the_ticket(tmp_path, nats_server,
                                                                          sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        await d.staff("hd.btb", "helpdesk")
        t = await d.report(reporter={"name": "Budi", "email": REPORTER},
                           subject="Tidak bisa kirim penawaran", description="Tombol kirim error")
        old_link = _path(await _mailed_link(sink, t["number"], "sudah kami terima"))
    rotated = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lpse_helpdesk.cli", "secret", "rotate",
        "--data-dir", str(settings.data_dir), stdout=asyncio.subprocess.DEVNULL)
    assert await rotated.wait() == 0
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk = await d.staff("hd.btb2", "helpdesk")
        await d.act(helpdesk, t, "close", {"resolution": "Jadwal tender diperbaiki."})
        new_link = _path(await _mailed_link(sink, t["number"], "diselesaikan"))
        assert new_link == old_link  # the token derived from the key that made it
        async with WebClient(str(hd.http.base_url)) as web:
            opened = await web.http.get(old_link)
            assert opened.status_code == 303
            page = await web.http.get(opened.headers["location"])
            assert page.status_code == 200 and f"Tiket {t['number']}" in page.text


def test_the_shipped_proxy_logs_no_query_strings():
    """Every log of deploy/Caddyfile goes through the filter that drops `?…` (checked against
    Caddy 2.11 by hand: `caddy validate`, and a request with `?token=` logged without it)."""
    from pathlib import Path

    caddyfile = (Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile").read_text()
    rules = re.search(r"\(no_query_strings\) \{(.*?)\n\}", caddyfile, re.S).group(1)
    assert r'request>uri regexp \?.*$ ""' in rules and "Referer delete" in rules
    logs = re.findall(r"^\s*log\b(.*?)\n\s*\}\n\s*\}", caddyfile, re.S | re.M)
    assert len(logs) == 2 and all("import no_query_strings" in block for block in logs)
