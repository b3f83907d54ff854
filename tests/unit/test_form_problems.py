"""A refused new ticket names every problem at once, in plain Indonesian, each by the field the
form shows (intake/problems.py, web/portal_form.py); the API's field paths map to the inputs."""

import re

import pytest

from lpse_helpdesk.services.intake.problems import (
    channel_names, mail_fields_refusal, mail_refusal, ticket_problems)
from lpse_helpdesk.services.web.portal_form import form_field, form_problems
from lpse_helpdesk.standards import load_standard
from lpse_helpdesk.standards.filetypes import accept, labels
from lpse_helpdesk.standards.loader import SHIPPED_DIR

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5274fb70000000049454e44ae426082")
# What no page may show a reporter: msgspec's English, code names of fields and channels.
FOREIGN = re.compile(r"Expected|length|regex|`|reporter\.|documents\.|fields\.|walk_in|"
                     r"(?<!portal )\bweb\b|\bapi\b|image/|application/")


@pytest.fixture(scope="module")
def units():
    return {name: load_standard(SHIPPED_DIR / f"{name}.toml")
            for name in ("tuban", "lampung", "basarnas", "batam")}


def test_every_problem_of_an_empty_form_is_named_at_once(units):
    tuban = units["tuban"]
    problems = form_problems(tuban, {"phone": "telp kantor", "email": "budi@"},
                             [("virus.exe", "application/octet-stream", b"MZ\x90\x00" * 10)])
    by_field = {p.field: p.message for p in problems}
    assert list(by_field) == ["reporter.name", "reporter.email", "reporter.phone", "subject",
                              "description", "documents.id_card", "attachments"]
    assert by_field["reporter.name"] == "Nama lengkap wajib diisi."
    assert by_field["reporter.email"].startswith("Alamat email tidak sah")
    assert by_field["reporter.phone"].startswith("Nomor telepon/WA tidak sah")
    assert by_field["subject"] == "Judul wajib diisi."
    assert by_field["description"] == "Uraian masalah wajib diisi."
    assert "Tanda pengenal (KTP/SIM/kartu pegawai/paspor) wajib diisi menurut standar layanan" in (
        by_field["documents.id_card"])
    assert "“virus.exe”" in by_field["attachments"] and "PNG, JPG, PDF, DOCX, XLSX" in (
        by_field["attachments"])
    for problem in problems:
        assert not FOREIGN.search(problem.message), problem.message


def test_a_missing_address_the_unit_requires_is_named_with_the_short_description(units):
    # The case of the issue: the description and the e-mail address in one answer.
    body = {"tenant": "tuban", "channel": "web", "subject": "Login gagal", "description": "",
            "reporter": {"name": "Budi", "phone": "0812 3456 7890"},
            "documents": {"id_card": "3578..."}}
    problems = ticket_problems(body, units["tuban"])
    assert [(p.field, p.message) for p in problems] == [
        ("reporter.email", ("Alamat email wajib diisi menurut standar layanan LPSE Kabupaten "
                            "Tuban.")),
        ("description", "Uraian masalah wajib diisi.")]


def test_lengths_unit_fields_and_file_rules(units):
    batam = units["batam"]
    values = {"name": "Sri", "subject": "x" * 201, "description": "ok", "f_kode_tender": "12x"}
    big = PNG + b"\0" * batam.attachments.max_bytes
    problems = form_problems(batam, values, [("layar.png", "image/png", big)] + [
        ("l.png", "image/png", PNG)] * 10)
    messages = {p.field: p.message for p in problems}
    assert messages["subject"] == (
        "Judul terlalu panjang: paling banyak 200 karakter (sekarang 201).")
    assert messages["fields.kode_tender"].startswith("Kode Tender/Paket tidak sesuai format")
    files = [p.message for p in problems if p.field == "attachments"]
    assert files[0] == "Paling banyak 10 berkas per laporan; Anda memilih 11."
    assert re.fullmatch(r"Berkas “layar\.png” berukuran [\d,]+ MB: paling besar 5,0 MB per "
                        r"berkas\.", files[1])
    assert {form_field(p.field) for p in problems} == {"subject", "f_kode_tender", "files"}


def test_documents_and_a_screenshot_map_to_their_inputs(units):
    lampung = form_problems(units["lampung"], {"name": "Rina", "email": "r@c.co.id",
                                               "subject": "a", "description": "b"}, [])
    assert [form_field(p.field) for p in lampung] == [
        "doc_director_id_card", "doc_company_npwp", "doc_request_letter", "doc_company_documents"]
    assert lampung[1].message == "NPWP perusahaan wajib diisi menurut standar layanan " \
        f"{units['lampung'].name}."
    # Basarnas asks for a screenshot on the portal: only an image file meets it.
    basarnas = units["basarnas"]
    values = {"name": "Andi", "subject": "a", "description": "b", "doc_screenshot": "terlampir"}
    [missing] = form_problems(basarnas, values, [])
    assert form_field(missing.field) == "files" and "tangkapan layar" in missing.message
    assert form_problems(basarnas, values, [("layar.png", "", PNG)]) == []


def test_channels_and_file_types_are_words(units):
    assert channel_names(["walk_in", "web", "api"]) == "loket, portal web dan API"
    body = {"tenant": "lampung", "channel": "email", "subject": "a", "description": "b",
            "reporter": {"name": "Rina"}}
    [refused, *_] = ticket_problems(body, units["lampung"])
    assert refused.field == "channel" and refused.message == (
        f"{units['lampung'].name} tidak menerima laporan lewat email; kirim lewat loket, "
        "portal web dan API.")
    types = units["tuban"].attachments.types
    assert labels(types) == "PNG, JPG, PDF, DOCX, XLSX"
    assert ".png" in accept(types) and ".xlsx" in accept(types)


def test_any_json_is_read_without_failing(units):
    for body in (None, [], {"reporter": "x", "documents": [1], "attachments": "a"},
                 {"tenant": "tuban", "channel": 5, "fields": {"a": 1}, "subject": 7},
                 {"tenant": [False], "channel": {"web": 1}, "kind": [], "reporter": {"kind": {}}}):
        problems = ticket_problems(body, units["tuban"])
        assert all(p.message for p in problems)


def test_a_refused_mail_names_channels_in_words_and_only_the_hints_that_apply(units):
    lampung = mail_refusal(units["lampung"], ["channel"])
    assert lampung == (f"{units['lampung'].name} tidak menerima laporan lewat email; kirim "
                       "laporan lewat loket, portal web dan API")
    tuban = mail_refusal(units["tuban"], ["reporter.phone"])
    assert "nomor telepon yang bisa dihubungi" in tuban and "'Telepon: 0812...'" in tuban
    assert "KTP" not in tuban and "NPWP" not in tuban and "tangkapan" not in tuban
    basarnas = mail_refusal(units["basarnas"], ["documents.screenshot"])
    assert basarnas.endswith("Kirim ulang: lampirkan tangkapan layar (PNG atau JPG)")
    assert "Telepon" not in basarnas
    for text in (lampung, tuban, basarnas):
        assert not FOREIGN.search(text), text


def test_a_field_only_the_portal_has_is_named_with_where_to_give_it(units):
    text = mail_fields_refusal(units["batam"], ["fields.aplikasi"])
    assert text == (f"laporan belum lengkap menurut standar layanan {units['batam'].name}: "
                    "Aplikasi wajib diisi, dan hanya bisa diisi lewat loket, portal web dan API")
