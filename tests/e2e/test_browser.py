"""The whole loop in a real browser (Debian's Chromium driven by Playwright): a reporter submits
a ticket with a screenshot through the portal with JavaScript switched off, a helpdesk user logs
in, replies and closes it, the reporter confirms and fills the SKM survey, the Kepala Unit sees
it on the dashboard, and the queue refreshes itself when a new ticket arrives.

Screenshots of the main pages are written to `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from chromium import FLAGS, chromium_or_skip
from conftest import make_settings, running_helpdesk
from lpse_helpdesk.schemas.survey import SKM_KEYS
from scenario import PASSWORD, Desk

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PNG = bytes.fromhex(  # a real 1x1 PNG, so the browser uploads a genuine image
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5274fb70000000049454e44ae426082")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return chromium_or_skip()


async def _login(page, base: str, username: str) -> None:
    await page.goto(f"{base}/staf/antrean")
    await expect(page).to_have_url(re.compile(r"/staf/masuk"))
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Antrean")


async def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_reporter_and_staff_close_the_loop_in_a_browser(tmp_path, nats_server, chromium_path):
    settings = make_settings(tmp_path, nats_server.url)
    screenshot = tmp_path / "layar.png"
    screenshot.write_bytes(PNG)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batubara")
        await desk.staff("hd.bb", "helpdesk")
        await desk.staff("kepala.bb", "kepala_unit")
        base = str(hd.http.base_url).rstrip("/")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path, args=FLAGS)

            # The reporter's browser has JavaScript off: the portal's essentials are plain HTML.
            reporter = await (await browser.new_context(java_script_enabled=False)).new_page()
            await reporter.goto(f"{base}/")
            await _shot(reporter, "01-portal-beranda")
            await reporter.locator('a[href="/portal/batubara/tiket-baru"]').click()
            await reporter.get_by_label("Nama lengkap").fill("Budi Santoso")
            await reporter.get_by_label("Alamat email").fill("budi@contoh.co.id")
            await reporter.get_by_label("Nomor telepon/WA").fill("081234567890")
            await reporter.get_by_label("Instansi/perusahaan").fill("CV Maju Jaya")
            for field in await reporter.locator('input[name^="doc_"]').all():
                await field.fill("terlampir")
            await reporter.get_by_label("Judul").fill("Tidak bisa login ke SPSE")
            await reporter.get_by_label("Uraian masalah").fill(
                "Sejak pagi muncul pesan error saat login ke SPSE, padahal kata sandi benar.")
            await reporter.locator("#files").set_input_files(str(screenshot))
            await _shot(reporter, "02-portal-tiket-baru")
            await reporter.get_by_role("button", name="Kirim laporan").click()
            number = (await reporter.locator("#nomor-tiket").inner_text()).strip()
            token = (await reporter.locator("#token-akses").inner_text()).strip()
            assert re.fullmatch(r"[A-Z]{3}-\d{4}-\d{6}", number)
            await _shot(reporter, "03-portal-tiket-diterima")

            # A helpdesk user logs in, finds it in the queue, replies and closes it.
            staff = await (await browser.new_context()).new_page()
            await _login(staff, base, "hd.bb")
            link = staff.get_by_role("link", name=number)
            for _ in range(50):  # classification arrives over the bus
                if await link.count():
                    break
                await staff.reload()
            await _shot(staff, "04-staf-antrean")
            await link.click()
            await expect(staff.get_by_role("heading", level=1)).to_contain_text(number)
            await expect(staff.get_by_role("link", name="layar.png").first).to_be_visible()
            await staff.get_by_text("Balas pelapor", exact=True).first.click()
            await staff.locator("#message-reply").fill("Silakan hapus cache peramban lalu coba lagi.")
            await staff.locator("#aksi-reply button[type=submit]").click()
            await expect(staff.get_by_role("status")).to_contain_text("berhasil")
            await staff.get_by_text("Tutup tiket", exact=True).first.click()
            await staff.locator("#resolution").fill("Login berhasil setelah cache dihapus.")
            await staff.locator("#aksi-close button[type=submit]").click()
            await expect(staff.get_by_role("status")).to_contain_text("berhasil")
            await expect(staff.locator(".ringkas").first).to_contain_text("Ditutup")
            await _shot(staff, "05-staf-tiket")

            # The reporter confirms the answer and rates the service (SKM), still without JS,
            # through the mailed link: its token becomes a cookie and leaves the address.
            await reporter.goto(f"{base}/portal/status?nomor={number}&token={token}")
            await expect(reporter).to_have_url(f"{base}/portal/status?nomor={number}")
            await expect(reporter.locator("#status-tiket")).to_have_text("Ditutup")
            await expect(reporter.get_by_text("Silakan hapus cache peramban")).to_be_visible()
            await reporter.get_by_role("button", name="Ya, sudah selesai").click()
            await expect(reporter.get_by_role("status")).to_contain_text("konfirmasi")
            await expect(reporter.get_by_role("button", name="Ya, sudah selesai")).to_have_count(0)
            for index, key in enumerate(SKM_KEYS):
                await reporter.locator(f'input[name="{key}"][value="{4 if index % 2 else 3}"]').check()
            await reporter.get_by_label("Saran atau masukan").fill("Cepat dan jelas.")
            await reporter.get_by_role("button", name="Kirim survei").click()
            await expect(reporter.get_by_role("status")).to_contain_text("survei kepuasan Anda tersimpan")
            await expect(reporter.get_by_role("button", name="Kirim survei")).to_have_count(0)
            await _shot(reporter, "06-portal-status-survei")
            await reporter.reload()  # the one-time message does not come back
            await expect(reporter.get_by_text("survei kepuasan Anda tersimpan")).to_have_count(0)

            # The Kepala Unit sees the survey on the dashboard (IKM = mean 3.44 x 25).
            head = await (await browser.new_context()).new_page()
            await _login(head, base, "kepala.bb")
            await head.goto(f"{base}/staf/dasbor")
            await expect(head.get_by_text("IKM")).to_contain_text("86.11")
            assert await head.locator("svg.grafik").count() >= 4
            await _shot(head, "07-dasbor-kepala-unit")

            # The queue page refreshes itself (JavaScript on): a new ticket shows up unasked.
            await staff.goto(f"{base}/staf/antrean")
            fresh = await desk.report(subject="Permintaan reset akun penyedia")
            await expect(staff.get_by_role("link", name=fresh["number"])).to_be_visible(timeout=25_000)
            await browser.close()
