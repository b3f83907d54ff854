"""Email in: a real SMTP client talks to intake's listener; attachments go to the JetStream
object store; replies thread; a repeated Message-ID does nothing; bad mail gets SMTP codes."""

from __future__ import annotations

import base64
import hashlib
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.services.notify import threads

# A real 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def mail(to: str, subject: str, body: str, sender: str = "Rudi <rudi@cv-andalas.co.id>",
         attachments=(), message_id: str | None = None) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Message-ID"] = message_id or make_msgid(domain="cv-andalas.co.id")
    m.set_content(body)
    for name, maintype, subtype, data in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


async def send(port: int, message: EmailMessage) -> tuple[int, str]:
    try:
        errors, response = await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        return exc.recipients[0].code, exc.recipients[0].message
    except aiosmtplib.SMTPResponseException as exc:
        return exc.code, exc.message
    code, _, text = response.partition(" ")
    return 250, response


@pytest.fixture
async def hd(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port())
    async with running_helpdesk(settings) as running:
        yield running


def intake_events(hd) -> list[str]:
    return [n.topic for n in hd.runtime.service("intake").store.notifications(0, 1000)]


async def test_mail_with_png_becomes_a_ticket_and_replies_thread(hd):
    port = hd.settings.smtp_port
    first = mail("basarnas@lpse.test", "Gagal upload dokumen penawaran",
                 "Selamat pagi, upload dokumen penawaran gagal terus.\nTelepon: 0812-3456-7890",
                 attachments=[("layar.png", "image", "png", PNG)])
    code, text = await send(port, first)
    assert code == 250 and "diterima sebagai tiket BSN-" in text, text
    number = text.split("tiket ")[1].split(";")[0]

    ticket = await _staffless_view(hd, number)
    received = ticket["timeline"][0]["event"]
    assert received["channel"] == "email" and received["reporter"]["email"] == "rudi@cv-andalas.co.id"
    assert received["reporter"]["phone"] == "0812-3456-7890"
    [ref] = received["attachments"]
    assert ref["filename"] == "layar.png" and ref["content_type"] == "image/png"
    assert ref["sha256"] == hashlib.sha256(PNG).hexdigest() and ref["size"] == len(PNG)
    token = ticket["_token"]
    r = await hd.http.get(f"/api/v1/tickets/{number}/attachments/{ref['id']}", params={"token": token})
    assert r.status_code == 200 and r.content == PNG and r.headers["content-type"] == "image/png"
    r = await hd.http.get(f"/api/v1/tickets/{number}/attachments/{ref['id']}", params={"token": "x"})
    assert r.status_code == 404  # only the reporter (and the unit's staff) may fetch it

    reply = mail("basarnas@lpse.test", f"Re: [{number}] Gagal upload dokumen penawaran",
                 "Sudah saya coba lagi, masih gagal.")
    # The proof that it answers our mail: its In-Reply-To names the acknowledgement's Message-ID
    # (without it the mail waits for staff: tests/e2e/test_hostile_mail.py).
    reply["In-Reply-To"] = await _acknowledgement_id(hd, received["ticket_id"])
    code, text = await send(port, reply)
    assert code == 250 and f"ditambahkan ke tiket {number}" in text
    code, text = await send(port, reply)  # the same Message-ID again
    assert code == 250 and "sudah diterima" in text
    await eventually(lambda: _has(hd, number, token, "ticket.reporter_replied"), what="balasan")
    assert intake_events(hd) == ["ticket.received", "ticket.reporter_replied"]

    code, text = await send(port, first)  # the first mail again: still one ticket
    assert code == 250 and number in text
    assert intake_events(hd) == ["ticket.received", "ticket.reporter_replied"]


async def test_bad_mail_gets_clear_smtp_codes_and_stores_nothing(hd):
    port = hd.settings.smtp_port
    code, text = await send(port, mail("nobody@lpse.test", "Halo", "isi"))
    assert code == 550 and "bukan alamat helpdesk" in text
    # Tuban requires a phone number and an ID card (seed 002).
    code, text = await send(port, mail("helpdesk.lpsetuban@gmail.com", "Tanya", "Mohon info"))
    assert code == 550 and "nomor telepon" in text and "tanda pengenal" in text
    code, text = await send(port, mail("tuban@lpse.test", "Program aneh", "Lihat lampiran",
                                       attachments=[("x.exe", "application", "x-msdownload", b"MZ")]))
    assert code == 552 and "x.exe" in text and "tidak diterima" in text
    # Over Batam's 5 MB attachment limit, within the listener's message size: the unit's rule.
    big = b"%PDF-1.4\n" + b"\0" * 5_200_000  # a PDF by its bytes, as the type is judged
    code, text = await send(port, mail("batam@lpse.test", "Besar", "lampiran besar",
                                       attachments=[("besar.pdf", "application", "pdf", big)]))
    assert code == 552 and "melebihi batas 5000000" in text
    # A huge mail is refused by the listener itself, before it is read.
    huge = b"\0" * 20_000_000
    code, text = await send(port, mail("batam@lpse.test", "Raksasa", "lampiran raksasa",
                                       attachments=[("raksasa.pdf", "application", "pdf", huge)]))
    assert code == 552 and "surat terlalu besar" in text
    raw = b"From: \r\nTo: batam@lpse.test\r\nSubject: \r\n\r\n"
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await smtp.connect()
    try:
        await smtp.sendmail("x@y.id", ["batam@lpse.test"], raw)
        raise AssertionError("malformed mail was accepted")
    except aiosmtplib.SMTPDataError as exc:
        assert exc.code == 550 and "tidak bisa dibaca" in exc.message
    finally:
        await smtp.quit()
    assert intake_events(hd) == []
    # With the required data written in the body, Tuban accepts it.
    code, text = await send(port, mail("tuban@lpse.test", "Tanya jadwal", "Mohon info jadwal.\n"
                                       "Telepon: 0356 123456\nKTP: 3523010101010001"))
    assert code == 250 and "TBN-" in text


async def _staffless_view(hd, number: str) -> dict:
    """The ticket as its reporter sees it, with the token the acknowledgement mail will carry."""
    [(ticket_id,)] = hd.runtime.service("intake").store.query(
        "SELECT ticket_id FROM intake_ticket_numbers WHERE number = ?", (number,))
    token = hd.runtime.signer.reporter_token(ticket_id)
    view = await eventually(lambda: hd.ticket({"number": number, "access_token": token}),
                            what="tiket tampil")
    return {**view, "_token": token}


async def _acknowledgement_id(hd, ticket_id: str) -> str:
    """The Message-ID of notify's acknowledgement to the reporter (no mail server here: it
    waits in notify's table, with the id its Message-ID is made of)."""
    notify = hd.runtime.service("notify").store
    [(mail_id,)] = await eventually(lambda: notify.query(
        f"SELECT id FROM {notify.prefix}_mails WHERE ticket_id = ? AND template = 'received'",
        (ticket_id,)), what="tanda terima")
    [(number,)] = notify.query("SELECT number FROM notify_mail_threads WHERE ticket_id = ?",
                               (ticket_id,))
    return threads.message_id(mail_id, number, "lpse.basarnas.go.id")


async def _has(hd, number, token, kind):
    view = await hd.ticket({"number": number, "access_token": token})
    return view and any(e["type"] == kind for e in view["timeline"])


async def test_portal_uploads_a_screenshot_then_names_it_in_the_ticket(hd):
    r = await hd.http.post("/api/v1/attachments", params={"tenant": "basarnas", "filename": "layar.png"},
                           content=PNG, headers={"content-type": "image/png"})
    assert r.status_code == 201, r.text
    ref = r.json()
    assert ref["sha256"] == hashlib.sha256(PNG).hexdigest()
    bad = await hd.http.post("/api/v1/attachments", params={"tenant": "basarnas"}, content=b"MZ",
                             headers={"content-type": "application/x-msdownload"})
    assert bad.status_code == 415 and "tidak diterima" in bad.json()["detail"]
    # The type comes from the bytes: a program labelled image/png is refused, a PDF labelled
    # application/octet-stream (many clients' default) is taken as the PDF it is.
    disguised = await hd.http.post("/api/v1/attachments", params={"tenant": "basarnas",
                                   "filename": "layar.png"}, content=b"MZ\x90\x00" + b"\x00" * 300,
                                   headers={"content-type": "image/png"})
    assert disguised.status_code == 415 and "bertipe EXE" in disguised.json()["detail"]
    pdf = await hd.http.post("/api/v1/attachments", params={"tenant": "basarnas",
                             "filename": "bukti.pdf"}, content=b"%PDF-1.4\n%%EOF\n",
                             headers={"content-type": "application/octet-stream"})
    assert pdf.status_code == 201 and pdf.json()["content_type"] == "application/pdf", pdf.text
    # "terlampir" typed without an image does not meet Basarnas' screenshot requirement.
    typed = {"tenant": "basarnas", "channel": "web", "reporter": {"name": "Rina"},
             "subject": "Error", "description": "Lihat", "documents": {"screenshot": "terlampir"},
             "attachments": [pdf.json()["id"]]}
    r = await hd.http.post("/api/v1/tickets", json=typed)
    assert r.status_code == 400 and "screenshot" in r.text, r.text
    # Basarnas asks for a screenshot on the web: the uploaded image stands for it.
    body = {"tenant": "basarnas", "channel": "web", "reporter": {"name": "Rina"},
            "subject": "Error upload", "description": "Lihat tangkapan layar", "attachments": [ref["id"]]}
    r = await hd.http.post("/api/v1/tickets", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    view = await eventually(lambda: hd.ticket(created), what="tiket")
    assert view["timeline"][0]["event"]["attachments"][0]["id"] == ref["id"]
    got = await hd.http.get(f"/api/v1/tickets/{created['number']}/attachments/{ref['id']}",
                            params={"token": created["access_token"]})
    assert got.content == PNG
    again = await hd.http.post("/api/v1/tickets", json=body)  # the same upload twice: refused
    assert again.status_code == 400 and again.json()["field"] == "attachments"
    other_unit = await hd.http.post("/api/v1/tickets", json={**body, "tenant": "batam"})
    assert other_unit.status_code == 400
