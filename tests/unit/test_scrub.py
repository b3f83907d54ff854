"""The FAQ scrubber (pure functions, no server): every way personal data was seen to reach the
public FAQ is now removed, the unit's own contacts stay, recall on the shipped labelled set is
at least 99 % with under 1 % of ordinary text removed, and hostile input costs linear time."""

from __future__ import annotations

import json
import time

import pytest

from lpse_helpdesk.services.faq_publisher import scrub_check
from lpse_helpdesk.services.faq_publisher.scrub import (
    Keep,
    digit_warning,
    long_digit_runs,
    own_contacts,
    scrub,
)
from lpse_helpdesk.standards.loader import SHIPPED_DIR, load_standards

STANDARDS = load_standards(SHIPPED_DIR)
TUBAN = Keep(own_contacts(STANDARDS["tuban"]))

# (text, what must be gone, the placeholder that replaces it)
ATTACKS = [
    # NIK with spaces, dots, a prefix, and in the title (the question is subject + description)
    ("NIK 3523 0112 8501 0003 ditolak\n\nMohon bantuan", "3523 0112 8501 0003", "[NIK]"),
    ("NIK: 3523.0112.8501.0004 tidak valid", "3523.0112.8501.0004", "[NIK]"),
    ("KTP3171012345678901 tercatat ganda", "3171012345678901", "[NIK]"),
    ("NIK#1871-0102-0304-0005 ditolak SIKaP", "1871-0102-0304-0005", "[NIK]"),
    ("No. KTP 35.07.12.340685.0003", "35.07.12.340685.0003", "[NIK]"),
    # NIP, often with spaces
    ("NIP 19850101 201001 1 001 belum aktif", "19850101 201001 1 001", "[NIP]"),
    # NPWP, old 15-digit and new 16-digit, any separators
    ("NPWP 01.234.567.8-645.000", "01.234.567.8-645.000", "[NPWP]"),
    ("npwp 02 345 678 9 012 000 gagal", "02 345 678 9 012 000", "[NPWP]"),
    ("NPWP baru 0023 4567 8901 2000", "0023 4567 8901 2000", "[NPWP]"),
    ("NPWP 04-567-890-1-234-000", "04-567-890-1-234-000", "[NPWP]"),
    # landlines and +62 numbers with spaces; wa.me links
    ("Kantor kami (0351) 123456", "(0351) 123456", "[telepon]"),
    ("telp 0351-321456", "0351-321456", "[telepon]"),
    ("HP +62 812 3456 7891", "+62 812 3456 7891", "[telepon]"),
    ("hubungi 62 812-3456-7895", "62 812-3456-7895", "[telepon]"),
    ("Telp +62 21 5551235", "+62 21 5551235", "[telepon]"),
    ("chat wa.me/6281398765432", "wa.me/6281398765432", "[telepon]"),
    # e-mail, also obfuscated
    ("email budi.santoso@gmail.com", "budi.santoso@gmail.com", "[email]"),
    ("email rina_w [at] yahoo [dot] co [dot] id", "rina_w [at] yahoo [dot] co [dot] id", "[email]"),
    ("email admin.cvmaju(at)gmail.com", "admin.cvmaju(at)gmail.com", "[email]"),
    ("email siti at yahoo dot com", "siti at yahoo dot com", "[email]"),
    # bank accounts
    ("transfer dari rekening BCA 1234567890", "1234567890", "[rekening]"),
    ("no. rek BRI 0123-01-012345-50-1", "0123-01-012345-50-1", "[rekening]"),
    ("Mandiri 137-00-1234567-8", "137-00-1234567-8", "[rekening]"),
    # a street address
    ("dari Jl. Merdeka No. 45, RT 003/RW 005, Kel. Sukamaju, Kec. Semanding.",
     "Jl. Merdeka No. 45, RT 003/RW 005, Kel. Sukamaju, Kec. Semanding", "[alamat]"),
    ("Gg. Mawar No. 3, Desa Sugihwaras", "Gg. Mawar No. 3, Desa Sugihwaras", "[alamat]"),
    # third persons and companies named in the text
    ("sudah koordinasi dengan Pak Budi Hartono di pengadaan", "Budi Hartono", "[nama]"),
    ("rekening a.n. BUDI SANTOSO", "BUDI SANTOSO", "[nama]"),
    ("tadi sudah telp pak hendra tapi belum dijawab", "hendra", "[nama]"),
    ("Sanggahan dari PT MEGA TEKNIK UTAMA diterima", "PT MEGA TEKNIK UTAMA", "[perusahaan]"),
    ("CV. Berkah Mandiri sudah upload", "CV. Berkah Mandiri", "[perusahaan]"),
    ("Koperasi Sejahtera Bersama mendaftar", "Koperasi Sejahtera Bersama", "[perusahaan]"),
    # URLs with pwd= or other tokens, or credentials
    ("Link https://lpse.tubankab.go.id/eproc4/reset?pwd=Rahasia123 gagal",
     "https://lpse.tubankab.go.id/eproc4/reset?pwd=Rahasia123", "[tautan]"),
    ("di http://budi:rahasia@ftp.majujaya.co.id/dokumen", "budi:rahasia@", "[tautan]"),
    ("https://x.go.id/a?session=XYZ123abc", "XYZ123abc", "[tautan]"),
    # ticket numbers in any case
    ("sama dengan tiket btm-2026-000123", "btm-2026-000123", "[nomor tiket]"),
    ("tiket Bsn-2025-000045", "Bsn-2025-000045", "[nomor tiket]"),
    # a password, OTP or code typed into the text
    ("login pakai password saya Rahasia123 gagal", "Rahasia123", "[rahasia]"),
    ("kata sandi: Lpse#2026", "Lpse#2026", "[rahasia]"),
    ("kode OTP 839201 kadaluarsa", "839201", "[rahasia]"),
    ("user id: cvmajujaya", "cvmajujaya", "[rahasia]"),
]


@pytest.mark.parametrize(("text", "secret", "placeholder"), ATTACKS, ids=[a[1] for a in ATTACKS])
def test_each_attack_of_the_issue_is_removed(text, secret, placeholder):
    out, removed = scrub(text, keep=TUBAN)
    assert secret not in out and placeholder in out, out
    assert removed


def test_the_reporter_as_given_in_any_case():
    out, removed = scrub("Saya Budi Santoso dari CV Maju Jaya. BUDI adalah direktur, akun atas "
                         "nama budi santoso terkunci; Maju Jaya belum aktif.",
                         ("Budi Santoso",), ("CV Maju Jaya",))
    assert "budi" not in out.lower() and "maju jaya" not in out.lower(), out
    assert removed["nama"] == 3 and removed["perusahaan/instansi"] == 2


def test_the_units_own_contacts_stay():
    text = ("Untuk info hubungi LPSE di (0356) 332577 atau 0356-332577, email "
            "helpdesk.lpsetuban@gmail.com, kantor Jl. RA Kartini No. 2, Tuban 62311. "
            "Nomor pribadi saya 0812-9999-0000.")
    out, removed = scrub(text, keep=TUBAN)
    for own in ("(0356) 332577", "0356-332577", "helpdesk.lpsetuban@gmail.com",
                "Jl. RA Kartini No. 2, Tuban 62311"):
        assert own in out, out
    assert "0812-9999-0000" not in out and removed == {"telepon": 1}
    assert "(0356) 332577" in own_contacts(STANDARDS["tuban"])
    # Without the unit's contacts the same number is someone's phone: the bug the issue saw.
    assert scrub("hubungi LPSE di (0356) 332577")[0] == "hubungi LPSE di [telepon]"


@pytest.mark.parametrize("text", [
    "Kode tender 10045123000 tidak muncul, diumumkan 12-03-2026 pukul 08.00-16.00 WIB.",
    "Paket dengan kode RUP 45678912 nilai HPS Rp 1.250.000.000,00.",
    "Bapak/Ibu penyedia, silakan upload CV tenaga ahli dan ijazah.",
    "Kepada Yth. Bapak Kepala LPSE Kabupaten Tuban, mohon info pelatihan.",
    "Mohon reset password akun PPK, sudah tiga kali salah memasukkan kata sandi.",
    "oke pak siap, nanti saya coba lagi",
    "SPSE versi 4.5.20230918 menolak file di atas 20 MB; lihat Perpres 16 Tahun 2018.",
])
def test_ordinary_text_is_left_alone(text):
    assert scrub(text, keep=TUBAN) == (text, {})


def test_recall_on_the_shipped_set_and_what_it_removes_by_mistake():
    result = scrub_check.evaluate()
    assert result["spans"] >= 150
    assert result["recall"] >= 0.99, result["misses"]
    # Bound: under 1 % of the characters outside labelled spans, and none of the texts that
    # must stay (the unit's contacts, tender codes, amounts, dates).
    assert result["false_removal"]["share"] < 0.01, result["false_removal"]["spans"]
    assert result["false_removal"]["must_stay_touched"] == []
    assert set(result["per_kind"]) >= {"NIK", "NIP", "NPWP", "telepon", "email", "rekening",
                                       "alamat", "nama", "perusahaan", "rahasia", "tautan",
                                       "nomor tiket"}


def test_the_check_runs_as_a_module(capsys, tmp_path):
    assert scrub_check.main([]) == 0
    assert capsys.readouterr().out.startswith("Recall: ")
    assert scrub_check.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recall"] >= 0.99
    # A set it does badly on exits 1.
    poor = tmp_path / "poor.jsonl"
    poor.write_text(json.dumps({"unit": "tuban", "text": "staf kami Andi sudah mencoba",
                                "spans": [["nama", "Andi"]]}) + "\n", encoding="utf-8")
    assert scrub_check.main([str(poor)]) == 1
    assert "missed line 1: nama 'Andi'" in capsys.readouterr().out


def test_long_numbers_left_in_a_draft_need_confirmation():
    keep = TUBAN
    assert long_digit_runs("Kode tender 10045123000 dan 10023457000, Rp 1.500.000.000, "
                           "tanggal 12-03-2026, hubungi (0356) 332577", keep) == []
    [run] = long_digit_runs("Sudah transfer ke 7712345678 kemarin", keep)
    assert (run.position, run.digits, run.text) == (18, 10, "7712345678")
    warning = digit_warning("Judul\n\nSudah transfer ke 7712345678", "Tidak ada biaya.", keep)
    assert "pertanyaan karakter ke-26" in warning and "10 digit" in warning
    assert '{"confirm_digits": true}' in warning
    assert digit_warning("Judul", "Kode tender 10045123000", keep) is None


HOSTILE = {
    "digits and spaces": "1 " * 10_000,
    "one long number": "7" * 20_000,
    "dashed groups": "12-" * 6_667,
    "street words": "Jl. " * 5_000,
    "street runs": "Jl. A No. 1 RT 1 " * 1_177,
    "forms of address": "Pak Budi " * 2_223,
    "company forms": "PT Abc " * 2_858,
    "at and dot": "a at b dot " * 1_819,
    "at signs": "a@" * 10_000,
    "token links": "?token=x " * 2_223,
    "password labels": "password akun " * 1_429,
    "code labels": "kode otp 1 " * 1_819,
    "brackets": "(0" * 10_000,
    "own phone and a name": "(0356) 332577 Pak Budi " * 870,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_of_20000_characters_is_scrubbed_in_linear_time(name):
    text = HOSTILE[name][:20_000]
    start = time.process_time()
    out, _ = scrub(text, ("Budi Santoso",), ("CV Maju Jaya",), TUBAN)
    long_digit_runs(out, TUBAN)
    # Measured at about 0.05 s; a regex that backtracks badly takes minutes here.
    assert time.process_time() - start < 1.0
