"""The counter and FAQ review in a real browser with JavaScript off: a clerk records a walk-in
and prints the slip (only the slip on paper), a reviewer publishes a draft whose removed parts
are marked; both pages fit a 390 px wide phone without horizontal scrolling. Screenshots go to
`test-artifacts/screenshots/`."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from chromium import FLAGS, chromium_or_skip
from conftest import eventually, make_settings, running_helpdesk
from scenario import PASSWORD, Desk

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
# The elements reaching past a phone's right edge, to say which one is too wide.
WIDE = ("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > 391).slice(0, 8).map(e => `${e.tagName}.${e.className}#${e.id}`)")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return chromium_or_skip()


async def _login(page, base: str, username: str, target: str) -> None:
    await page.goto(f"{base}{target}")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()


async def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def _fits(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    wide = [] if width <= PHONE["width"] else await page.evaluate(WIDE)
    assert width <= PHONE["width"], f"{page.url}: {width} px wide, past the edge: {wide}"


async def test_counter_slip_and_faq_review_in_a_browser(tmp_path, nats_server, chromium_path):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batubara")
        clerk = await desk.staff("loket.bb", "helpdesk")
        await desk.staff("ppe.bb", "admin_ppe")
        base = str(hd.http.base_url).rstrip("/")
        ticket = await desk.report(subject="Gagal unggah dokumen penawaran",
                                   description="Saya Budi Santoso, hubungi budi@contoh.co.id",
                                   reporter={"name": "Budi Santoso", "email": "budi@contoh.co.id"})
        await desk.act(clerk, ticket, "close", {"resolution": "Perkecil berkas lalu unggah ulang.",
                                                "publish_faq": True})
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path, args=FLAGS)
            page = await (await browser.new_context(java_script_enabled=False,
                                                    viewport=PHONE)).new_page()
            await _login(page, base, "loket.bb", "/staf/loket")
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Loket")
            await _fits(page)
            form = page.locator('form[action="/staf/loket/tamu"]')
            await form.get_by_label("Nama lengkap").fill("Sari Wulandari")
            await form.get_by_label("Instansi/perusahaan").fill("Dinas PUPR")
            await form.get_by_label("Keperluan (buku tamu)").fill("konsultasi")
            await form.get_by_label("Judul").fill("Tanya cara unggah dokumen")
            await form.get_by_label("Uraian").fill("Datang ke loket menanyakan unggah dokumen")
            await form.get_by_role("button", name="Catat tamu dan cetak slip").click()
            await expect(page.locator("#nomor-antrean")).to_have_text("A-001")
            await expect(page.locator("#token-akses")).not_to_be_empty()
            await _fits(page)
            await _shot(page, "08-loket-slip")
            await page.emulate_media(media="print")  # on paper: the slip, not the menu
            await expect(page.locator("header.kepala")).to_be_hidden()
            await expect(page.locator("#nomor-tiket")).to_be_visible()
            await page.emulate_media(media="screen")
            await page.get_by_role("link", name="Kembali ke loket").click()
            await expect(page.locator("#tabel-buku-tamu")).to_contain_text("Sari Wulandari")
            await _fits(page)
            await _shot(page, "09-loket-buku-tamu")

            reviewer = await (await browser.new_context(java_script_enabled=False,
                                                        viewport=PHONE)).new_page()
            await _login(reviewer, base, "ppe.bb", "/staf/faq")

            async def drafted():
                await reviewer.goto(f"{base}/staf/faq")
                return await reviewer.locator("article.entri-faq").count()

            await eventually(drafted, what="draf FAQ di halaman")
            await expect(reviewer.locator("mark.dihapus").first).to_be_visible()
            await expect(reviewer.locator("#isi")).not_to_contain_text("budi@contoh.co.id")
            await _fits(reviewer)
            await _shot(reviewer, "10-tinjau-faq-draf")
            await reviewer.get_by_role("button", name="Terbitkan").click()
            await expect(reviewer.get_by_role("status")).to_contain_text("diterbitkan")
            await expect(reviewer.get_by_role("heading", name="Entri terbit (1)")).to_be_visible()
            await _fits(reviewer)
            await browser.close()
