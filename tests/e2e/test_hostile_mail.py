"""Hostile mail at intake's real SMTP listener: each is
replayed against a running helpdesk, and the defended outcome is asserted: the SMTP code and
reason, and what was stored (nothing, or a held mail staff can accept)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from email.utils import make_msgid

import aiosmtplib
import nats
import pytest
from conftest import eventually, make_settings, running_helpdesk
from nats.js.errors import NotFoundError
from paged import refuses_bad_paging, walk
from scenario import Desk
from test_mail_intake import PNG, intake_events, mail, send

from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.services.intake import mail as intake_mail
from lpse_helpdesk.services.intake import smtp as intake_smtp

REPORTER = "rudi@cv-andalas.co.id"
UNIT = "lpse@batam.go.id"  # Batam's helpdesk_email: notify's From and its staff mailbox


@pytest.fixture
async def hd(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port(), smtp_url=sink.url)
    async with running_helpdesk(settings) as running:
        yield running


@pytest.fixture
async def hd_each_database(tmp_path, nats_server, sink, database_url):
    """The helpdesk on SQLite, then on PostgreSQL: for what is stored in tables."""
    settings = make_settings(tmp_path, nats_server.url, database_url, smtp_port=free_port(),
                             smtp_url=sink.url)
    async with running_helpdesk(settings) as running:
        yield running


async def send_raw(port: int, raw: bytes, sender: str = REPORTER,
                   to: str = "batam@lpse.test") -> tuple[int, str]:
    """The raw mail from the envelope `sender` ("" is `MAIL FROM:<>`, a bounce)."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    try:
        _, response = await client.sendmail(sender, [to], raw)
    except aiosmtplib.SMTPResponseException as exc:
        return exc.code, exc.message
    finally:
        client.close()
    return 250, response  # aiosmtplib raises on any other code


async def stored_attachments(hd) -> int:
    nc = await nats.connect(hd.settings.nats_url)
    try:
        bucket = await nc.jetstream().object_store("ATTACHMENTS")
        try:
            return len(await bucket.list())
        except NotFoundError:
            return 0
    finally:
        await nc.close()


def nested(depth: int) -> bytes:
    head = f"From: {REPORTER}\r\nTo: batam@lpse.test\r\nSubject: Bertingkat\r\n".encode()
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                       for i in range(depth))
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nhalo" + closing + b"\r\n"


async def test_attack_1_many_attachments_are_refused_before_anything_is_stored(hd):
    port = hd.settings.smtp_port
    flood = mail("batam@lpse.test", "Lampiran", "lihat lampiran",
                 attachments=[(f"kosong{i}.pdf", "application", "pdf", b"") for i in range(3200)])
    assert len(flood.as_bytes()) > 500_000  # within the listener's size limit, like the attack's
    code, text = await send(port, flood)
    assert code == 552 and "5.3.4" in text and "lebih dari 50 bagian MIME" in text, text
    eleven = mail("batam@lpse.test", "Lampiran", "lihat lampiran",
                  attachments=[(f"layar{i}.png", "image", "png", PNG) for i in range(11)])
    code, text = await send(port, eleven)
    assert code == 552 and "11 lampiran melebihi batas 10" in text, text
    assert intake_events(hd) == [] and await stored_attachments(hd) == 0
    ten = mail("batam@lpse.test", "Lampiran", "lihat lampiran",
               attachments=[(f"layar{i}.png", "image", "png", PNG) for i in range(10)])
    code, text = await send(port, ten)
    assert code == 250 and "BTM-" in text and await stored_attachments(hd) == 10


def test_attack_2_parsing_is_linear():
    raw = f"From: {REPORTER}\r\nSubject: Kosong\r\n\r\n".encode() + b"\r\n" * 40_000
    assert len(raw) > 80_000
    started = time.process_time()
    parsed = intake_mail.parse(raw)
    assert time.process_time() - started < 1.0 and parsed.subject == "Kosong"
    # A line of spaces as long as the listener lets through, and a far longer one once
    # quoted-printable soft line breaks are decoded (a field line beyond the first 20,000
    # characters of the text is not read).
    for body, fields in ((b" " * 998, {"phone": "0812 1"}),
                         (b"=\r\n".join([b" " * 70] * 20_000), {})):
        raw = (f"From: {REPORTER}\r\nSubject: Spasi\r\nContent-Transfer-Encoding: "
               "quoted-printable\r\n\r\n").encode() + body + b"\r\nTelepon: 0812 1\r\n"
        started = time.process_time()
        parsed = intake_mail.parse(raw)
        assert time.process_time() - started < 1.0 and parsed.fields == fields


async def test_attack_2_a_mail_is_parsed_off_the_event_loop(hd, monkeypatch):
    port = hd.settings.smtp_port
    real, parsing = intake_smtp.parse, []

    def slow_parse(raw, limits):  # as slow as the old quadratic parser was on this mail
        parsing.append(threading.get_ident())
        time.sleep(1.5)
        return real(raw, limits)

    monkeypatch.setattr(intake_smtp, "parse", slow_parse)
    raw = (f"From: {REPORTER}\r\nTo: batam@lpse.test\r\nSubject: Baris kosong\r\n"
           f"Message-ID: {make_msgid()}\r\n\r\n").encode() + b"\r\n" * 40_000
    sending = asyncio.create_task(send_raw(port, raw))
    await eventually(lambda: parsing, what="surat mulai dibaca")
    health = await hd.http.get("/health", timeout=1.0)
    assert health.status_code == 200 and not sending.done()  # answered while the mail is read
    assert parsing[0] != threading.get_ident()  # in a thread, not on the loop
    code, text = await sending
    assert code == 250 and "diterima sebagai tiket BTM-" in text
    monkeypatch.setattr(intake_smtp, "parse", real)
    long_line = f"From: {REPORTER}\r\nSubject: Spasi\r\n\r\n".encode() + b" " * 5_000 + b"\r\n"
    code, text = await send_raw(port, long_line)
    assert code == 500 and "baris lebih dari 998 karakter" in text
    assert intake_events(hd) == ["ticket.received"]


async def test_attack_4_odd_mail_gets_a_permanent_refusal_not_a_retry(hd):
    port = hd.settings.smtp_port
    code, text = await send_raw(port, nested(11))
    assert code == 550 and "bertingkat lebih dari 10 lapis" in text, text
    code, text = await send_raw(port, nested(1000))  # was 451: the sender retried for days
    assert code == 552 and "lebih dari 50 bagian MIME" in text, text
    params = "".join(f";\r\n a{i}=b" for i in range(3000))
    code, text = await send_raw(port, f"From: {REPORTER}\r\nSubject: x\r\nContent-Type: "
                                f"text/plain{params}\r\n\r\nhalo\r\n".encode())
    assert code == 550 and "terlalu panjang" in text
    for sender in ("=?utf-8?q?Rudi=0A?= <rudi@cv-andalas.co.id>",  # a line break once decoded
                   "Rudi <rudi\x01@cv-andalas.co.id>", "Rudi <rudi@cv-andalas.co.id\x7f>"):
        code, text = await send_raw(port, f"From: {sender}\r\nSubject: Halo\r\n\r\nisi\r\n"
                                    .encode())
        assert code == 550 and "karakter kendali" in text, (sender, text)
    assert intake_events(hd) == [] and await stored_attachments(hd) == 0


async def _ticket_by_mail(hd, sink) -> tuple[str, str]:
    """A ticket opened by mail from REPORTER, and the Message-ID of its acknowledgement."""
    code, text = await send(hd.settings.smtp_port, mail("batam@lpse.test", "Gagal unggah",
                                                        "Unggah dokumen gagal terus."))
    assert code == 250, text
    number = text.split("tiket ")[1].split(";")[0]
    ack = await eventually(lambda: [m for to, m in sink.messages if to == REPORTER
                                    and number in str(m["Subject"])], what="tanda terima")
    return number, str(ack[0]["Message-ID"])


async def test_attack_6_auto_replies_and_our_own_mail_make_nothing(hd, sink, caplog):
    caplog.set_level("INFO", logger="lpse_helpdesk.smtp")
    port = hd.settings.smtp_port
    number, ack_id = await _ticket_by_mail(hd, sink)
    staff_mail = await eventually(lambda: [m for to, m in sink.messages if to == UNIT],
                                  what="surat ke petugas")
    await asyncio.sleep(0.5)  # notify has sent all it will for this ticket
    before_events, before_mails = intake_events(hd), len(sink.messages)

    # Our own staff notification, delivered back to the unit's address (a mail loop).
    code, text = await send_raw(port, staff_mail[0].as_bytes(), sender=UNIT, to=UNIT)
    assert code == 250 and "surat otomatis" in text, text
    # The same with its Auto-Submitted mark lost on the way: its From gives it away.
    del staff_mail[0]["Auto-Submitted"]
    code, text = await send_raw(port, staff_mail[0].as_bytes(), sender=UNIT, to=UNIT)
    assert code == 250 and "surat otomatis" in text, text
    out_of_office = mail("batam@lpse.test", f"Otomatis: [{number}] Laporan Anda sudah kami "
                         "terima", "Saya sedang cuti sampai tanggal 20.")
    out_of_office["Auto-Submitted"], out_of_office["In-Reply-To"] = "auto-replied", ack_id
    bulk = mail("batam@lpse.test", "Promo", "Diskon besar")
    bulk["Precedence"] = "bulk"
    robot = mail("batam@lpse.test", f"Re: [{number}]", "Terima kasih, surat Anda kami terima")
    robot["X-Autoreply"] = "yes"
    for message in (out_of_office, bulk, robot):
        code, text = await send(port, message)
        assert code == 250 and "surat otomatis" in text, (message["Subject"], text)
    bounce = mail("batam@lpse.test", "Undelivered Mail Returned to Sender", "gagal kirim")
    code, text = await send_raw(port, bounce.as_bytes(), sender="")  # MAIL FROM:<>
    assert code == 250 and "surat otomatis" in text

    await asyncio.sleep(1.0)  # room for a ticket, a reply or a mail that must not come
    assert intake_events(hd) == before_events and len(sink.messages) == before_mails
    dropped = [r for r in caplog.records if r.getMessage() == "surat otomatis diabaikan"]
    reasons = [r.fields["reason"] for r in dropped]
    assert reasons[1:] == [
        f"dari alamat helpdesk sendiri ({UNIT})", "surat otomatis (Auto-Submitted: auto-replied)",
        "surat otomatis (Precedence: bulk)", "surat otomatis (X-Autoreply)",
        "pengirim amplop kosong (laporan pengiriman)"], reasons
    # notify marks its mail Auto-Submitted (notify/mailer.py); unmarked, its From gives it away.
    assert reasons[0] in ("surat otomatis (Auto-Submitted: auto-generated)",
                          f"dari alamat helpdesk sendiri ({UNIT})"), reasons


async def test_attack_7_a_reply_needs_proof_and_the_rest_waits_for_staff(hd_each_database, sink):
    hd = hd_each_database
    port = hd.settings.smtp_port
    number, ack_id = await _ticket_by_mail(hd, sink)
    d = Desk(hd, "batam")
    clerk, other = await d.staff("hd.btm", "helpdesk"), await d.staff("hd.tbn", "helpdesk", "tuban")

    def forged(body: str, sender: str = f"Rudi <{REPORTER}>", reply_to: str | None = None):
        m = mail("batam@lpse.test", f"Re: [{number}] Gagal unggah", body, sender=sender)
        if reply_to:
            m["In-Reply-To"] = reply_to
        return m

    attempts = [forged("Tiket ini sudah selesai, tutup saja."),  # From alone: anyone
                forged("Saya juga mengalami", sender="Lain <lain@contoh.id>", reply_to=ack_id),
                forged("Dengan bukti palsu", reply_to=f"<{uuid.uuid4()}@lpse-helpdesk>"),
                forged("Bukti palsu, bentuk baru",
                       reply_to=f"<lpse.{number}.{uuid.uuid4()}@lpse.batam.go.id>")]
    for message in attempts:
        code, text = await send(port, message)
        assert code == 250 and "diterima, menunggu pemeriksaan petugas" in text, text
    assert intake_events(hd) == ["ticket.received"]

    code, text = await send(port, forged("Masih gagal, ini balasan saya.", reply_to=ack_id))
    assert code == 250 and f"ditambahkan ke tiket {number}" in text, text
    # A reply to a later mail: its Message-ID comes from desk's event, read from the bus.
    created = {"number": number}
    await d.act(clerk, created, "reply", {"message": "Coba bersihkan cache peramban."})
    answer = await eventually(lambda: [m for to, m in sink.messages if to == REPORTER
                                       and "Jawaban" in str(m["Subject"])], what="jawaban")
    code, text = await send(port, forged("Sudah, tetap gagal.",
                                         reply_to=str(answer[0]["Message-ID"])))
    assert code == 250 and f"ditambahkan ke tiket {number}" in text, text
    assert intake_events(hd).count("ticket.reporter_replied") == 2

    listing = await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"})
    assert listing.status_code == 401
    staff = {"Authorization": f"Bearer {d.tokens[clerk]}"}
    outsider = {"Authorization": f"Bearer {d.tokens[other]}"}
    assert (await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"},
                              headers=outsider)).status_code == 403
    held = (await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"},
                              headers=staff)).json()
    assert len(held) == 4 and {h["number"] for h in held} == {number}
    assert {h["status"] for h in held} == {"held"} and all(h["reason"] for h in held)
    first = next(h for h in held if h["sender_email"] == "lain@contoh.id")
    assert "bukan alamat pelapor" in first["reason"]

    url = f"/api/v1/mail/held/{first['id']}"
    assert (await hd.http.post(f"{url}/accept", headers=outsider)).status_code == 403
    r = await hd.http.post(f"{url}/accept", headers=staff)
    assert r.status_code == 201 and r.json() == {"id": first["id"], "status": "accepted",
                                                 "number": number}, r.text
    assert (await hd.http.post(f"{url}/accept", headers=staff)).status_code == 409
    assert (await hd.http.post(f"{url}/new-ticket", headers=staff)).status_code == 409
    assert intake_events(hd).count("ticket.reporter_replied") == 3

    second = next(h for h in held if h["id"] != first["id"])
    r = await hd.http.post(f"/api/v1/mail/held/{second['id']}/new-ticket", headers=staff)
    assert r.status_code == 201 and r.json()["status"] == "new_ticket", r.text
    assert r.json()["number"].startswith("BTM-") and r.json()["number"] != number
    waiting = (await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"},
                                 headers=staff)).json()
    assert len(waiting) == 2
    every = (await hd.http.get("/api/v1/mail/held", headers=staff, params={
        "tenant": "batam", "include_decided": "true"})).json()
    assert sorted(h["status"] for h in every) == ["accepted", "held", "held", "new_ticket"]
    # The same forged mail again is not held twice.
    code, text = await send(port, attempts[0])
    assert code == 250 and "menunggu pemeriksaan petugas" in text
    assert len((await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"},
                                  headers=staff)).json()) == 2


    # Paged (platform/paging.py): newest first, each held mail on exactly one page.
    listed, pages = await walk(hd.http, "/api/v1/mail/held", {
        "tenant": "batam", "include_decided": "true"}, staff, limit=1)
    assert pages == 4 and sorted(h["id"] for h in listed) == sorted(h["id"] for h in every)
    assert [h["received_at"] for h in listed] == sorted(
        (h["received_at"] for h in listed), reverse=True)
    assert len((await walk(hd.http, "/api/v1/mail/held", {"tenant": "batam"}, staff))[0]) == 2
    await refuses_bad_paging(hd.http, "/api/v1/mail/held", {"tenant": "batam"}, staff)
