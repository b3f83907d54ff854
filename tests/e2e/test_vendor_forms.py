"""Forms that speak to vendors, over real HTTP against one running helpdesk: a refused portal
form names every problem next to its input in Indonesian and keeps what was typed, the API
lists every problem beside its documented first `field`, the created page offers the number
and token to copy and says when an answer is due, the status lookup takes a number in any
case and a token with stray spaces, and a FAQ entry is marked helpful once per client."""

from __future__ import annotations

import re
from email.message import EmailMessage

import aiosmtplib
import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator
from playwright.async_api import async_playwright, expect

from chromium import FLAGS, chromium_or_skip
from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.natsserver import EmbeddedNats, free_port
from scenario import Desk
from webclient import WebClient, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")
FORM = "/portal/tuban/tiket-baru"
# Nothing a reporter reads: msgspec's English, code names of fields, channels or file types.
FOREIGN = re.compile(r"Expected|length >=|regex|reporter\.|documents\.|walk_in|"
                     r"application/|image/png|\bstr\b")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hd(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vendor")
    nats = EmbeddedNats(free_port(), folder / "nats")
    nats.start()
    try:
        settings = make_settings(folder, nats.url, rate_votes_per_minute=2, smtp_port=free_port())
        async with running_helpdesk(settings) as running:
            yield running
    finally:
        nats.stop()


def near(page: str, key: str) -> str:
    """The message printed right under the input `key`."""
    found = re.search(rf'<div class="galat-kolom" id="{key}-galat">(.*?)</div>', page, re.S)
    assert found, f"no message under {key}"
    assert re.search(rf'id="{key}"[^>]*aria-invalid="true"', page), key
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip()


async def test_a_refused_form_names_every_problem_next_to_its_field(hd):
    async with WebClient(str(hd.http.base_url)) as web:
        blank = await web.http.get(FORM)
        assert "Tipe yang diterima: PNG, JPG, PDF, DOCX, XLSX" in text_of(blank)
        typed = {"name": "", "email": "budi@", "phone": "telp kantor", "organization": "CV Maju",
                 "subject": "Tidak bisa unggah penawaran", "description": "",
                 "reporter_kind": "penyedia", "f_kode_tender": "nomor 12"}
        refused = await web.form(FORM, typed, page=FORM,
                                 files={"files": ("virus.exe", b"MZ\x90\x00" * 64, "image/png")})
        assert refused.status_code == 400
        page, words = refused.text, text_of(refused)
        assert near(page, "name") == "Nama lengkap wajib diisi."
        assert near(page, "email").startswith("Alamat email tidak sah")
        assert near(page, "phone").startswith("Nomor telepon/WA tidak sah")
        assert near(page, "description") == "Uraian masalah wajib diisi."
        assert near(page, "doc_id_card").startswith("Tanda pengenal (KTP/SIM/kartu pegawai/paspor)"
                                                    " wajib diisi menurut standar layanan")
        assert near(page, "f_kode_tender").startswith("Kode Tender/Paket tidak sesuai format")
        assert "“virus.exe”" in near(page, "files") and "PNG, JPG, PDF, DOCX, XLSX" in near(
            page, "files")
        assert "periksa 7 isian" in words  # all at once, listed at the top too
        # Each at the top, linked to its input, and beside the input.
        assert words.count("Uraian masalah wajib diisi.") == 2
        assert '<a href="#description">Uraian masalah wajib diisi.</a>' in page
        for value in ("budi@", "telp kantor", "CV Maju", "Tidak bisa unggah penawaran",
                      "nomor 12"):
            assert f'value="{value}"' in page, value
        assert 'value="penyedia" selected' in page
        assert "(virus.exe) belum terkirim: pilih lagi" in words
        assert not FOREIGN.search(words), FOREIGN.search(words)

        # The API: the same problems beside the documented first field, in the documented body.
        doc = (await hd.http.get("/schema/openapi.json")).json()
        checker = Draft202012Validator({**doc, "$ref": "#/components/schemas/ErrorBody"})
        r = await hd.http.post("/api/v1/tickets", json={
            "tenant": "tuban", "channel": "web", "subject": "Login gagal", "description": "",
            "reporter": {"name": "Budi", "phone": "0812 3456 7890"}})
        body = r.json()
        assert r.status_code == 400 and body["field"] == "description", body
        assert [p["field"] for p in body["problems"]] == [
            "description", "reporter.email", "documents.id_card"]
        assert body["problems"][1]["message"].startswith("Alamat email wajib diisi")
        checker.validate(body)
        r = await hd.http.post("/api/v1/tickets", json={
            "tenant": "lampung", "channel": "web", "subject": "s", "description": "d",
            "reporter": {"name": "Rina", "email": "rina@contoh.co.id"}})
        body = r.json()
        assert r.status_code == 400 and body["field"] == body["missing"][0] == (
            body["problems"][0]["field"]) == "documents.director_id_card", body
        assert len(body["problems"]) == 4 and all(
            "wajib diisi menurut standar layanan" in p["message"] for p in body["problems"])


async def test_created_page_copy_due_time_and_a_lookup_as_people_type_it(hd):
    async with WebClient(str(hd.http.base_url)) as web:
        form = "/portal/batam/tiket-baru"
        sent = await web.form(form, {"name": "Sri", "email": "sri@contoh.id",
                                     "subject": "Login gagal", "description": "Muncul error."},
                              page=form)
        assert sent.status_code == 303, sent.text
        done = await web.http.get(sent.headers["location"])
        number = re.search(r'id="nomor-tiket">([^<]+)<', done.text).group(1)
        token = re.search(r'id="token-akses">([^<]+)<', done.text).group(1)
        for target in ("nomor-tiket", "token-akses"):  # shown without JavaScript, copied with it
            assert re.search(rf'<button type="button" class="salin" data-salin="{target}" '
                             r'hidden>Salin', done.text)
        assert '<script src="/static/salin.js" defer></script>' in done.text
        due = re.search(r'paling lambat <time datetime="([^"]+)">([^<]+)</time>', done.text)
        assert due and re.fullmatch(
            r"(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d{1,2} (Januari|Februari|Maret|"
            r"April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember) \d{4} pukul "
            r"\d\d\.\d\d WIB", due.group(2)), due.groups()
        assert (await web.http.get("/static/salin.js")).status_code == 200

    async with WebClient(str(hd.http.base_url)) as other:  # another browser: no cookie
        page = "/portal/status"
        found = await other.form(page, {"nomor": f"  {number.lower()} ",
                                        "token": f" {token[:10]} {token[10:]}\n"}, page=page)
        assert found.status_code == 303, text_of(found)
        assert found.headers["location"] == f"/portal/status?nomor={number}"
        wrong = await other.form(page, {"nomor": number.lower(),
                                        "token": ("B" if token[0] == "A" else "A") + token[1:]},
                                 page=page)
        assert wrong.status_code == 404 and "Nomor tiket atau token akses salah" in wrong.text


async def test_a_faq_answer_is_marked_helpful_counted_and_limited(hd):
    desk = Desk(hd, "batubara")
    helpdesk, ppe = await desk.staff("hd.faq", "helpdesk"), await desk.staff("ppe.faq", "admin_ppe")
    ticket = await desk.report(subject="Lupa kata sandi SPSE", description="Tidak bisa masuk.")
    await desk.act(helpdesk, ticket, "close", {"resolution": "Pakai menu lupa kata sandi.",
                                               "publish_faq": True})
    auth = {"Authorization": f"Bearer {desk.tokens[ppe]}"}

    async def draft():
        r = await hd.http.get("/api/v1/faq/drafts", params={"tenant": "batubara"}, headers=auth)
        return r.json()[0]["id"] if r.status_code == 200 and r.json() else None
    entry = await eventually(draft, what="draf FAQ")
    r = await hd.http.post(f"/api/v1/faq/drafts/{entry}/publish", json={}, headers=auth)
    assert r.status_code == 200, r.text
    page = "/faq/batubara"
    async with WebClient(str(hd.http.base_url)) as web, WebClient(str(hd.http.base_url)) as other:
        shown = await web.http.get(page)
        assert "Apakah jawaban ini membantu?" in shown.text
        action = f"/faq/batubara/{entry}/membantu"
        assert f'action="{action}"' in shown.text
        yes = await web.form(action, {"membantu": "ya"}, page=page)
        assert yes.status_code == 303 and yes.headers["location"] == f"{page}#faq-{entry}"
        thanked = await web.http.get(page)
        assert "Terima kasih, tanggapan Anda tercatat." in thanked.text
        assert f'action="{action}"' not in thanked.text  # this browser answered it
        no = await other.form(action, {"membantu": "tidak"}, page=page)
        assert no.status_code == 303
        # Two votes a minute from one address here: the third is refused, and not counted.
        third = await other.form(action, {"membantu": "ya"}, page="/portal/status")
        assert third.status_code == 429 and "Terlalu banyak" in text_of(third)
    [listed] = (await hd.http.get("/api/v1/faq", params={"tenant": "batubara"})).json()
    assert (listed["helpful_yes"], listed["helpful_no"]) == (1, 1)
    async with WebClient(str(hd.http.base_url)) as staff:
        assert (await staff.login(ppe)).status_code == 303
        review = await staff.http.get("/staf/faq", params={"tenant": "batubara"})
        assert "membantu 1, tidak 1" in review.text


async def test_a_vendor_sees_the_refusal_and_copies_number_and_token_in_chromium(hd, tmp_path):
    executable = chromium_or_skip()
    program = tmp_path / "penawaran.exe"
    program.write_bytes(b"MZ\x90\x00" * 64)
    base = str(hd.http.base_url).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=FLAGS)
        context = await browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = await context.new_page()
        await page.goto(f"{base}{FORM}")
        await page.get_by_label("Alamat email").fill("budi@")
        await page.get_by_label("Judul").fill("Tidak bisa unggah penawaran")
        await page.locator("#files").set_input_files(str(program))
        await page.get_by_role("button", name="Kirim laporan").click()

        summary = page.get_by_role("alert")
        await expect(summary).to_contain_text("Laporan belum terkirim: periksa 6 isian")
        await expect(summary).to_contain_text("Berkas lampiran harus dipilih lagi")
        for label, words in (("Nama lengkap", "Nama lengkap wajib diisi."),
                             ("Alamat email", "Alamat email tidak sah"),
                             ("Nomor telepon/WA", "Nomor telepon/WA wajib diisi menurut"),
                             ("Uraian masalah", "Uraian masalah wajib diisi.")):
            field = page.get_by_label(label)
            await expect(field).to_have_attribute("aria-invalid", "true")
            described = await field.get_attribute("aria-describedby")
            await expect(page.locator(f"#{described.split()[-1]}")).to_contain_text(words)
        await expect(page.get_by_label("Alamat email")).to_have_value("budi@")
        await expect(page.get_by_label("Judul")).to_have_value("Tidak bisa unggah penawaran")
        await expect(page.locator("#files-galat")).to_contain_text(
            "“penawaran.exe” bertipe EXE: tidak diterima. Tipe yang diterima: "
            "PNG, JPG, PDF, DOCX, XLSX.")
        await summary.get_by_role("link", name="Uraian masalah wajib diisi.").click()
        await expect(page).to_have_url(re.compile("#description$"))
        assert not FOREIGN.search(await page.locator("main").inner_text())

        await page.get_by_label("Nama lengkap").fill("Budi Santoso")
        await page.get_by_label("Alamat email").fill("budi@contoh.co.id")
        await page.get_by_label("Nomor telepon/WA").fill("0812 3456 7890")
        await page.locator("#doc_id_card").fill("3523012345678901")
        await page.get_by_label("Uraian masalah").fill("Tombol unggah tidak merespons.")
        await page.get_by_label("Kode Tender/Paket").fill("")
        await page.get_by_role("button", name="Kirim laporan").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Laporan Anda diterima")
        number = await page.locator("#nomor-tiket").inner_text()
        token = await page.locator("#token-akses").inner_text()
        for button, target, value in (("Salin nomor", "nomor-tiket", number),
                                      ("Salin token", "token-akses", token)):
            await page.get_by_role("button", name=button).click()
            await expect(page.locator(f'button[data-salin="{target}"]')).to_have_text(
                "Tersalin ✓")
            assert await page.evaluate("navigator.clipboard.readText()") == value
        await expect(page.locator("#batas-jawab")).to_contain_text("paling lambat")

        # Without JavaScript the buttons stay hidden and the values are there to select.
        plain = await (await browser.new_context(java_script_enabled=False)).new_page()
        await plain.goto(page.url)
        await expect(plain.get_by_role("button", name="Salin nomor")).to_be_hidden()
        await browser.close()


async def test_a_refused_mail_says_in_words_what_is_missing_and_how_to_give_it(hd):
    async def send(to: str, body: str, attachments=()) -> tuple[int, str]:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "Rudi <rudi@cv.co.id>", to, "Tanya"
        message.set_content(body)
        for name, data in attachments:
            message.add_attachment(data, maintype="application", subtype="octet-stream",
                                   filename=name)
        try:
            await aiosmtplib.send(message, hostname="127.0.0.1", port=hd.settings.smtp_port)
        except aiosmtplib.SMTPResponseException as exc:
            return exc.code, exc.message
        return 250, ""

    code, text = await send("lampung@lpse.test", "Mohon info")
    assert code == 550 and text.endswith(
        "tidak menerima laporan lewat email; kirim laporan lewat loket, portal web dan API")
    code, text = await send("tuban@lpse.test", "Mohon info\nKTP: 3523012345678901")
    assert code == 550 and "yang masih kurang: nomor telepon yang bisa dihubungi." in text
    assert "'Telepon: 0812...'" in text and "KTP" not in text and "NPWP" not in text
    code, text = await send("batam@lpse.test", "Lihat lampiran", [
        ("a.exe", b"MZ\x90\x00" * 64), ("b.exe", b"MZ\x90\x00" * 64)])
    assert code == 552 and "“a.exe”" in text and "“b.exe”" in text, text  # both at once
    assert "tipe yang diterima: PNG, JPG, PDF, DOCX, XLSX" in text
    assert not re.search(r"walk_in|application/|image/|`", text)
