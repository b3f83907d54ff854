"""A ticket's mails thread: Message-IDs on a real domain, every mail answering the reporter's
first mail, a reply found by In-Reply-To alone, HTML with real links and line breaks, a link to
the staff page in staff mails, and a reply to a closed ticket that reopens it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.mailconf import MailSettings
from scenario import Desk
from test_mail_intake import mail, send

PUBLIC = "https://helpdesk.lpse.example"
REPORTER = "rudi@cv-andalas.co.id"
UNIT = "lpse@batam.go.id"


@pytest.fixture
async def hd(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port(), smtp_url=sink.url,
                             public_url=PUBLIC)
    async with running_helpdesk(settings) as running:
        yield running


def _to(sink, address: str, number: str, words: str = "") -> list:
    return [m for to, m in sink.messages
            if to == address and number in str(m["Subject"]) and words in str(m["Subject"])]


async def test_a_mail_tickets_mails_thread_and_link(hd, sink):
    first = mail("batam@lpse.test", "Tidak bisa login SPSE", "Mohon bantuan, login gagal.\n\n"
                 "Sudah dicoba:\n- ganti sandi\n- ganti peramban")
    code, text = await send(hd.settings.smtp_port, first)
    assert code == 250, text
    number = text.split("tiket ")[1].split(";")[0]
    ack = (await eventually(lambda: _to(sink, REPORTER, number), what="tanda terima"))[0]
    staff = (await eventually(lambda: _to(sink, UNIT, number), what="surat petugas"))[0]
    for message in (ack, staff):
        assert re.fullmatch(rf"<lpse\.{number}\.[0-9a-f-]{{36}}@helpdesk\.lpse\.example>",
                            str(message["Message-ID"]))
        assert str(message["In-Reply-To"]) == first["Message-ID"]
        assert first["Message-ID"] in str(message["References"])
    html = ack.get_body(("html",)).get_content()
    assert re.search(rf'<a href="{re.escape(PUBLIC)}/portal/status\?nomor={number}&amp;token=[^"]+">',
                     html), html
    assert "&lt;br&gt;" not in html and "<br>" in html
    staff_html = staff.get_body(("html",)).get_content()
    assert f'<a href="{PUBLIC}/staf/tiket/{number}">' in staff_html
    assert f"{PUBLIC}/staf/tiket/{number}" in staff.get_body(("plain",)).get_content()
    assert "/staf/" not in ack.get_body(("plain",)).get_content()

    # A reply whose subject lost the number still finds the ticket by its In-Reply-To.
    reply = mail("batam@lpse.test", "Re: Laporan Anda sudah kami terima", "Masih gagal.")
    reply["In-Reply-To"] = str(ack["Message-ID"])
    code, text = await send(hd.settings.smtp_port, reply)
    assert code == 250 and f"ditambahkan ke tiket {number}" in text, text
    told = (await eventually(lambda: _to(sink, UNIT, number, "Balasan pelapor"),
                             what="petugas diberi tahu"))[0]
    assert str(told["In-Reply-To"]) == first["Message-ID"]


async def test_a_reply_to_a_closed_ticket_within_the_window_reopens_it(hd, sink):
    code, text = await send(hd.settings.smtp_port, mail("batam@lpse.test", "Gagal unggah",
                                                        "Unggah dokumen gagal."))
    number = text.split("tiket ")[1].split(";")[0]
    d = Desk(hd, "batam")
    clerk = await d.staff("hd.btm", "helpdesk")
    created = {"number": number}
    await d.act(clerk, created, "close", {"resolution": "Sudah diperbaiki.", "publish_faq": False})
    closed = (await eventually(lambda: _to(sink, REPORTER, number, "diselesaikan"),
                               what="surat selesai"))[0]
    reply = mail("batam@lpse.test", "Re: selesai?", "Belum, masih gagal.")
    reply["In-Reply-To"] = str(closed["Message-ID"])
    code, text = await send(hd.settings.smtp_port, reply)
    assert code == 250 and "dibuka kembali" in text, text
    view = await eventually(lambda: _view(hd, d, clerk, number, "ticket.reopened"),
                            what="tiket dibuka kembali")
    assert view["status"] != "closed"


async def _view(hd, d, who, number, kind):
    r = await hd.http.get(f"/api/v1/tickets/{number}",
                          headers={"Authorization": f"Bearer {d.tokens[who]}"})
    body = r.json() if r.status_code == 200 else {}
    return body if any(e["type"] == kind for e in body.get("timeline", [])) else None


async def _closed_by_mail(hd, sink, subject: str):
    """A ticket opened by mail and closed by the helpdesk: (number, the closing mail)."""
    code, text = await send(hd.settings.smtp_port, mail("batam@lpse.test", subject, "Gagal."))
    number = text.split("tiket ")[1].split(";")[0]
    d = Desk(hd, "batam")
    clerk = await d.staff("hd.btm", "helpdesk")
    await d.act(clerk, {"number": number}, "close", {"resolution": "Selesai.", "publish_faq": False})
    closed = (await eventually(lambda: _to(sink, REPORTER, number, "diselesaikan"),
                               what="surat selesai"))[0]
    return number, closed, d, clerk


async def test_after_the_window_a_reply_opens_a_new_ticket_naming_the_closed_one(
        tmp_path, nats_server, sink):
    clock = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port(), smtp_url=sink.url)
    async with running_helpdesk(settings, now=lambda: clock["t"]) as hd:
        number, closed, d, clerk = await _closed_by_mail(hd, sink, "Gagal login")
        clock["t"] += timedelta(days=30)  # Batam reopens within 5 working days
        reply = mail("batam@lpse.test", "Re: selesai", "Muncul lagi bulan ini.")
        reply["In-Reply-To"] = str(closed["Message-ID"])
        code, text = await send(hd.settings.smtp_port, reply)
        assert code == 250 and f"tiket {number} sudah ditutup" in text, text
        new = re.search(r"tiket baru (BTM-\d{4}-\d{6})", text).group(1)
        view = await eventually(lambda: _view(hd, d, clerk, new, "ticket.received"),
                                what="tiket baru")
        received = view["timeline"][0]["event"]
        assert received["description"].startswith(f"[Lanjutan tiket {number} yang sudah ditutup]")
        assert received["reporter"]["email"] == REPORTER
        old = await _view(hd, d, clerk, number, "ticket.closed")
        assert old["status"] == "closed"  # the old ticket stays closed


async def test_a_unit_may_have_staff_decide_on_a_reply_to_a_closed_ticket(
        tmp_path, nats_server, sink):
    standards = dict(load_standards())
    standards["batam"] = msgspec.structs.replace(
        standards["batam"], mail=MailSettings(closed_reply="ask_staff"))
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port(), smtp_url=sink.url)
    async with running_helpdesk(settings, standards=standards) as hd:
        number, closed, d, clerk = await _closed_by_mail(hd, sink, "Gagal unggah")
        reply = mail("batam@lpse.test", "Re: selesai", "Belum selesai.")
        reply["In-Reply-To"] = str(closed["Message-ID"])
        code, text = await send(hd.settings.smtp_port, reply)
        assert code == 250 and "menunggu pemeriksaan petugas" in text, text
        held = (await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"},
                                  headers={"Authorization": f"Bearer {d.tokens[clerk]}"})).json()
        assert [(h["number"], h["reason"]) for h in held] == [
            (number, f"balasan atas tiket {number} yang sudah ditutup")]


async def test_a_reply_is_judged_by_the_tickets_facts_after_its_events_left_the_stream(
        hd, sink, nats_server):
    """The stream keeps events for its max age only: intake's own read model still knows the
    ticket is closed and which mails were sent about it (services/intake/ticket_facts.py)."""
    import nats

    number, closed, d, clerk = await _closed_by_mail(hd, sink, "Gagal cetak")
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.purge_stream("TICKETS")  # as the max age drops them
        assert (await js.stream_info("TICKETS")).state.messages == 0
    finally:
        await nc.close()
    reply = mail("batam@lpse.test", "Re: selesai?", "Belum, masih gagal.")
    reply["In-Reply-To"] = str(closed["Message-ID"])
    code, text = await send(hd.settings.smtp_port, reply)
    assert code == 250 and "dibuka kembali" in text, text
    view = await eventually(lambda: _view(hd, d, clerk, number, "ticket.reopened"),
                            what="tiket dibuka kembali")
    assert view["status"] != "closed"
