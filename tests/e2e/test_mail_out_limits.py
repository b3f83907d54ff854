"""Outgoing mail against a real SMTP sink (RFC 3834): every mail says it
is automatic, a stranger's address typed into the form gets at most the hourly limit of mails,
an address that bounced gets none, and a link typed into the name never reaches the inbox."""

from __future__ import annotations

import asyncio
import re

import pytest

from conftest import eventually, make_settings, running_helpdesk
from mailsink import MailSink
from scenario import Desk

UNIT_BOX = "lpsepemkabbatubara@yahoo.co.id"  # Batu Bara's helpdesk address (seed 000)
STRANGER = "korban@contoh.id"


@pytest.fixture
def sink():
    s = MailSink(refused=("hilang@contoh.id",))
    s.start()
    yield s
    s.stop()


def mails_to(sink: MailSink, address: str) -> list:
    return [m for to, m in sink.messages if to == address]


def staff_new_count(sink: MailSink) -> int:
    return sum("Tiket baru" in str(m["Subject"]) for m in mails_to(sink, UNIT_BOX))


def receipts(hd, *statuses: str) -> list[tuple[str, str | None]]:
    """(status, reason) of every receipt mail row in notify's store."""
    store = hd.runtime.service("notify").store
    rows = store.query(f"SELECT status, last_error FROM {store.prefix}_mails"
                       " WHERE template = 'received'")
    return [row for row in rows if row[0] in statuses]


async def test_every_mail_of_a_tickets_life_says_it_is_automatic(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk, ppe = await d.staff("hd.btb", "helpdesk"), await d.staff("ppe.btb", "admin_ppe")
        t = await d.report(reporter={"name": "Budi", "email": "budi@contoh.co.id"})
        await d.act(helpdesk, t, "reply", {"message": "Sedang kami periksa."})
        await d.act(helpdesk, t, "request-info", {"message": "Mohon tangkapan layar."})
        await d.reporter(t, "replies", {"message": "Terlampir."})
        await d.until(t, lambda x: x["status"] == "open" and any(
            e["type"] == "ticket.reporter_replied" for e in x["timeline"]), "balasan pelapor")
        await d.act(helpdesk, t, "escalate", {"reason": "perlu Admin PPE"})
        await d.until(t, lambda x: x["tier"] == "admin_ppe", "di Admin PPE")
        await d.act(ppe, t, "answer", {"message": "Jadwal sudah diperbaiki."})
        await d.until(t, lambda x: x["tier"] == "helpdesk", "kembali")
        await d.act(helpdesk, t, "close", {"resolution": "Jadwal tender diperbaiki."})
        # received, replied, info_requested, escalated, closed; and the staff's four
        await eventually(lambda: len(sink.messages) == 9, timeout=20,
                         what=f"sembilan surat (ada {sink.deliveries()})")
    assert {str(m["Auto-Submitted"]) for _, m in sink.messages} == {"auto-generated"}
    assert {str(m["X-Auto-Response-Suppress"]) for _, m in sink.messages} == {"All"}


async def test_twenty_posts_with_a_strangers_address_give_at_most_the_limit(
        tmp_path, nats_server, sink, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url, smtp_url=sink.url,
                             reporter_mails_per_hour=3)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk = await d.staff("hd.btb", "helpdesk")
        # Case and a `+tag` reach the same inbox: they share its budget.
        variants = [STRANGER, "Korban@Contoh.ID", "korban+promo@contoh.id"]
        created = await asyncio.gather(*(hd.post_ticket(
            "batubara", reporter={"name": "Menang hadiah http://jahat.example/x",
                                  "email": variants[i % 3]}) for i in range(20)))
        assert [r.status_code for r in created] == [201] * 20
        # Every ticket's staff mail has gone out, so every receipt has been decided on too.
        await eventually(lambda: staff_new_count(sink) == 20, timeout=30, what="20 surat staf")
        await eventually(lambda: len(receipts(hd, "sent", "suppressed")) == 20, timeout=20,
                         what="tanda terima terkirim atau ditahan")
        await asyncio.sleep(1.0)  # nothing more leaves later
        held = [reason for _, reason in receipts(hd, "suppressed")]
        reached = [to for to, _ in sink.messages if to.lower().replace("+promo", "") == STRANGER]
        assert len(reached) == 3 and len(held) == 17, (reached, held)
        assert all("batas 3 surat per jam" in reason for reason in held)
        # Staff see on the ticket that the receipt was held back, and why.
        last = created[-1].json()
        view = await d.until(last, lambda x: any(
            e["type"] == "ticket.notification_failed" for e in x["timeline"]), "penahanan tampil",
            who=helpdesk)
        failed = next(e["event"] for e in view["timeline"]
                      if e["type"] == "ticket.notification_failed")
        assert failed["will_retry"] is False and "pencegahan spam" in failed["error"]
    assert staff_new_count(sink) == 20  # the unit's own mailbox is not limited


async def test_a_hard_bounced_address_gets_no_further_mail(tmp_path, nats_server, sink,
                                                           database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        first = await d.report(reporter={"name": "Budi", "email": "hilang@contoh.id"})
        await eventually(lambda: sink.refusals["hilang@contoh.id"] == 1 and staff_new_count(sink)
                         == 1, what="tanda terima ditolak 550, surat staf tiba")
        [(status, error)] = await eventually(lambda: receipts(hd, "failed", "sent"),
                                             what="penolakan tercatat")
        assert status == "failed" and "550" in error  # a permanent refusal is not retried
        second = await d.report(reporter={"name": "Budi", "email": "Hilang@contoh.id"})
        await eventually(lambda: staff_new_count(sink) == 2, what="surat staf kedua")
        [(_, reason)] = await eventually(lambda: receipts(hd, "suppressed"),
                                         what="tanda terima kedua ditahan")
        assert "bounce" in reason
        await asyncio.sleep(1.0)
        assert sink.refusals["hilang@contoh.id"] == 1  # never tried again
        assert not [to for to, _ in sink.messages if to.lower() == "hilang@contoh.id"]
        assert first["number"] != second["number"]


async def test_a_link_typed_into_the_name_is_no_link_in_the_mail(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        await d.report(reporter={"name": "Budi https://jahat.example/hadiah www.jahat.example",
                                 "email": STRANGER, "organization": "jahat.com"},
                       subject="Klaim di jahat.example/klaim sekarang")
        [receipt] = await eventually(lambda: mails_to(sink, STRANGER), what="tanda terima")
    html = receipt.get_body(("html",)).get_content()
    text = receipt.get_body(("plain",)).get_content()
    ours = f"http://{settings.http_host}:{settings.http_port}/"  # the status page's link
    for part in (html, text):
        assert "jahat" not in part and part.count("http") == part.count(ours), part
        assert "Yth. Budi [tautan dihapus] [tautan dihapus]," in part
    # The only links are the helpdesk's own (the status page): none of what was typed.
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(ours) for h in hrefs), hrefs
    assert html.lower().count("<a ") == len(hrefs)
