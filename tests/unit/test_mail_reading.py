"""Reading mail as people write it: HTML-only mail as text, file types from the bytes, replies
found by In-Reply-To/References, and what a reply to a closed ticket does (pure parts)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from lpse_helpdesk.services.intake import replies
from lpse_helpdesk.services.intake.mail import parse
from lpse_helpdesk.services.intake.sniff import UNKNOWN, true_type
from lpse_helpdesk.services.notify import threads

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode"


def _mail(**headers) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"] = "Rudi <rudi@cv-andalas.co.id>", "basarnas@lpse.test"
    m["Message-ID"] = "<a1@cv-andalas.co.id>"
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    return m


def test_an_html_only_mail_keeps_its_paragraphs_lists_and_phone_line():
    m = _mail(Subject="Tidak bisa login")
    m.set_content("<html><head><style>p {color: red}</style><script>alert(1)</script></head>"
                  "<body><div>Halo,</div><p>Tidak bisa login ke SPSE.</p>"
                  "<p>Telepon: 0812-3456-7890<br>Instansi: Dinas PU</p>"
                  "<ul><li>sudah ganti sandi</li><li>sudah ganti peramban</li></ul></body></html>",
                  subtype="html")
    mail = parse(m.as_bytes())
    assert mail.body.split("\n\n")[:2] == ["Halo,", "Tidak bisa login ke SPSE."]
    assert "alert" not in mail.body and "color" not in mail.body
    assert mail.fields == {"phone": "0812-3456-7890", "organization": "Dinas PU"}
    assert "* sudah ganti sandi\n* sudah ganti peramban" in mail.body


def test_attachment_types_come_from_the_bytes_not_the_label():
    m = _mail(Subject="Lampiran")
    m.set_content("lihat lampiran")
    m.add_attachment(PDF, maintype="application", subtype="octet-stream", filename="bukti.pdf")
    m.add_attachment(EXE, maintype="image", subtype="png", filename="layar.png")
    m.add_attachment(PNG, maintype="application", subtype="octet-stream", filename="layar")
    pdf, exe, png = parse(m.as_bytes()).attachments
    assert (pdf.content_type, pdf.declared_type) == ("application/pdf", "application/octet-stream")
    assert exe.content_type == "application/x-msdownload" and exe.declared_type == "image/png"
    assert png.content_type == "image/png"


def test_a_file_without_a_signature_is_text_only_when_its_bytes_are_text():
    assert true_type("catatan.txt", "application/octet-stream", "Telepon: 0812\n".encode()) == "text/plain"
    assert true_type("catatan.txt", "text/plain", b"\x00\x01\x02binary") == UNKNOWN
    assert true_type("layar.png", "image/png", b"not a png at all") == UNKNOWN
    assert true_type("kosong.pdf", "application/pdf", b"") == UNKNOWN


def test_a_reply_without_the_number_in_its_subject_threads_by_its_references():
    ours = threads.message_id("6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11", "BSN-2026-000042",
                              "helpdesk.lpse.example")
    m = _mail(Subject="Re: Laporan Anda sudah kami terima", In_Reply_To=ours,
              References=f"<x@gmail.com> {ours}")
    m.set_content("Masih gagal.")
    mail = parse(m.as_bytes())
    assert mail.thread_number == "BSN-2026-000042"
    assert threads.parse(ours) == ("BSN-2026-000042", "6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11")
    other = _mail(Subject="Pertanyaan baru", In_Reply_To="<CAxyz@mail.gmail.com>")
    other.set_content("Halo")
    assert parse(other.as_bytes()).thread_number is None
    subject_wins = _mail(Subject="Re: [BTM-2026-000007] Jawaban", In_Reply_To=ours)
    subject_wins.set_content("Terima kasih")
    assert parse(subject_wins.as_bytes()).thread_number == "BTM-2026-000007"


def test_our_message_ids_are_recognised_in_both_forms_and_strangers_are_not():
    assert threads.ours("<lpse.BSN-2026-000001.6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11@a.example>")
    assert threads.ours("<6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11@lpse-helpdesk>")
    assert threads.parse("<lpse.BSN-2026-000001@a.example>") == ("BSN-2026-000001", "")
    assert not threads.ours("<CAKx=abc@mail.gmail.com>")
    assert not threads.ours("<lpse.notanumber@a.example>")


def test_the_message_id_domain_is_real():
    assert threads.mail_domain("helpdesk.example.go.id", "https://x.example", "a@b.id") \
        == "helpdesk.example.go.id"
    assert threads.mail_domain("", "https://helpdesk.batam.go.id/", "a@gmail.com") \
        == "helpdesk.batam.go.id"
    assert threads.mail_domain("", "http://127.0.0.1:8000", "lpse@Gmail.com") == "gmail.com"
    assert threads.mail_domain("", "http://localhost:8000", "lpse@batam.go.id") == "batam.go.id"


T = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_reply_to_a_closed_ticket_reopens_within_the_window_and_opens_a_new_one_after():
    window = T + timedelta(days=3)
    on = replies.on_reply
    assert on("open", None, None, T, "reopen") is replies.Outcome.REPLY
    assert on("waiting_reporter", None, None, T, "ask_staff") is replies.Outcome.REPLY
    assert on("closed", T, window, T + timedelta(days=1), "reopen") is replies.Outcome.REOPEN
    assert on("closed", T, window, T + timedelta(days=1), "ask_staff") is replies.Outcome.ASK_STAFF
    assert on("closed", T, window, window, "reopen") is replies.Outcome.REOPEN
    late = window + timedelta(seconds=1)
    assert on("closed", T, window, late, "reopen") is replies.Outcome.NEW_TICKET
    assert on("closed", T, window, late, "ask_staff") is replies.Outcome.NEW_TICKET
    assert replies.follow_up_text("BSN-2026-000001", "Masih gagal").startswith(
        "[Lanjutan tiket BSN-2026-000001 yang sudah ditutup]")
