"""Every page a reporter or clerk uses, on a 390 px wide phone: none scrolls sideways.

The pages hold what makes them wide in real use: a queue of several tickets with its assignee,
reporter and received columns, a ticket with a long timeline (an unbroken link among the
replies), the unit's custom fields, canned replies and every action, search results, the
dashboard, the users' table. Each page is measured (`scrollWidth`), photographed into
`test-artifacts/screenshots/`, and all the pages too wide are named together in one failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from chromium import FLAGS, chromium_or_skip
from conftest import make_settings, running_helpdesk
from scenario import PASSWORD, Desk

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
WIDE = ("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > 391).slice(0, 6).map(e => `${e.tagName}.${e.className}#${e.id}`)")
LINK = "https://spse.inaproc.id/batubara/eproc4/lelang/12345678/pengumumanlelang?tab=dokumen"
FIELDS = {"lpse": "LPSE Kabupaten Batu Bara", "aplikasi": "SPSE", "kode_tender": "1234567890123",
          "npwp_user_id": "01.234.567.8-901.000"}


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return chromium_or_skip()


async def _measure(page, name: str, widths: dict, wide: dict) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    widths[name] = width
    if width > PHONE["width"]:
        wide[name] = await page.evaluate(WIDE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"telepon-{name}.png"), full_page=True)


async def _tickets(desk: Desk, clerk: str) -> dict:
    """Several tickets, one of them with a long timeline, the unit's fields and an assignee."""
    long = await desk.report(subject="Tidak bisa mengunggah dokumen penawaran tender konstruksi",
                             description=f"Halaman {LINK} menolak berkas saya.",
                             reporter={"name": "Budi Santoso Wiryawan Hadiningrat",
                                       "email": "budi.santoso.wiryawan@perusahaan-konstruksi.co.id",
                                       "organization": "PT Maju Jaya Konstruksi Nusantara",
                                       "phone": "081234567890", "kind": "penyedia"},
                             fields=FIELDS)
    for n in range(3):
        await desk.report(subject=f"Permintaan reset akun penyedia nomor {n}",
                          reporter={"name": f"Pelapor {n}", "email": f"p{n}@contoh.co.id",
                                    "phone": "081234567890", "kind": "penyedia"})
    await desk.act(clerk, long, "assign", {"assignee": clerk})
    for n in range(4):
        await desk.act(clerk, long, "reply", {"message": f"Balasan {n}: coba buka {LINK}"})
        await desk.reporter(long, "replies", {"message": f"Masih gagal ({n}), lihat {LINK}"})
    return long


async def test_every_page_fits_a_390px_phone(tmp_path, nats_server, chromium_path):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batubara")
        clerk = await desk.staff("hd.bb", "helpdesk")
        await desk.staff("admin.bb", "admin")
        base = str(hd.http.base_url).rstrip("/")
        r = await hd.http.post("/api/v1/units/batubara/canned-replies",
                               json={"title": "Cara unggah ulang dokumen", "body": f"Buka {LINK}"},
                               headers={"Authorization": f"Bearer {desk.tokens[clerk]}"})
        assert r.status_code == 201, r.text
        long = await _tickets(desk, clerk)
        widths: dict[str, int] = {}
        wide: dict[str, list] = {}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path, args=FLAGS)
            reporter = await (await browser.new_context(java_script_enabled=False,
                                                        viewport=PHONE)).new_page()
            await reporter.goto(f"{base}/portal/batubara/tiket-baru")
            await _measure(reporter, "tiket-baru", widths, wide)
            await reporter.get_by_label("Nama lengkap").fill("Sari Wulandari")
            await reporter.get_by_label("Alamat email").fill("sari@contoh.co.id")
            await reporter.get_by_label("Judul").fill("Akun terkunci")
            await reporter.get_by_label("Uraian masalah").fill(f"Terkunci setelah membuka {LINK}")
            for field in await reporter.locator('input[name^="doc_"]').all():
                await field.fill("terlampir")
            await reporter.get_by_role("button", name="Kirim laporan").click()
            await expect(reporter.locator("#nomor-tiket")).not_to_be_empty()
            await _measure(reporter, "tiket-diterima", widths, wide)
            await reporter.goto(f"{base}/portal/status?nomor={long['number']}"
                                f"&token={long['access_token']}")
            await expect(reporter.locator("#status-tiket")).not_to_be_empty()
            await _measure(reporter, "status", widths, wide)

            staff = await (await browser.new_context(java_script_enabled=False,
                                                     viewport=PHONE)).new_page()
            await staff.goto(f"{base}/staf/masuk")
            await _measure(staff, "masuk", widths, wide)
            await staff.get_by_label("Nama pengguna").fill("admin.bb")
            await staff.get_by_label("Kata sandi").fill(PASSWORD)
            await staff.get_by_role("button", name="Masuk").click()
            await expect(staff.get_by_role("heading", level=1)).to_be_visible()
            await staff.goto(f"{base}/")
            await _measure(staff, "beranda", widths, wide)
            await staff.goto(f"{base}/staf/antrean")
            await expect(staff.get_by_role("link", name=long["number"])).to_be_visible()
            assert await staff.locator("table tbody tr").count() >= 4
            await _measure(staff, "antrean", widths, wide)
            await staff.goto(f"{base}/staf/tiket/{long['number']}")
            await expect(staff.get_by_text(FIELDS["kode_tender"]).first).to_be_visible()
            await expect(staff.get_by_text("Cara unggah ulang dokumen").first).to_be_visible()
            await _measure(staff, "tiket", widths, wide)
            await staff.goto(f"{base}/staf/cari?q=dokumen")
            await expect(staff.get_by_role("link", name=long["number"]).first).to_be_visible()
            await _measure(staff, "cari", widths, wide)
            for path, name in (("/staf/dasbor", "dasbor"), ("/staf/pengguna", "pengguna"),
                               ("/staf/otp", "otp"), ("/staf/siap-pakai", "siap-pakai"),
                               ("/staf/loket", "loket"), ("/staf/faq", "faq")):
                response = await staff.goto(f"{base}{path}")
                assert response.status == 200, (path, response.status)
                await _measure(staff, name, widths, wide)
            await browser.close()
        print("lebar halaman (px):", widths)
        assert len(widths) == 14, widths
        assert not wide, "wider than 390 px: " + "; ".join(
            f"{name} {widths[name]} px ({', '.join(wide[name])})" for name in wide)
