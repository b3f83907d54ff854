"""A reporter's address that asked to stop gets no more mail: the List-Unsubscribe link of a
real receipt, pressed as a mail client does (RFC 8058 one-click POST), and refused forged."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from conftest import eventually, make_settings, running_helpdesk

ADDRESS = "sri@contoh.id"
OTHER = "budi.link@contoh.id"


async def test_the_stop_link_of_a_receipt_stops_every_later_mail(tmp_path, nats_server, sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings) as hd:
        reporter = {"name": "Sri", "email": ADDRESS}
        await hd.post_ticket("batam", reporter=reporter)
        [receipt] = await eventually(lambda: [m for to, m in sink.messages if to == ADDRESS],
                                     what="the receipt")
        assert receipt["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = urlsplit(str(receipt["List-Unsubscribe"]).strip("<>"))
        path = f"{url.path}?{url.query}"
        # The staff's mail of the same ticket may arrive after the receipt: wait for it.
        staff_mail = await eventually(lambda: [m for to, m in sink.messages if to != ADDRESS],
                                      what="the staff's mail")
        assert all(m["List-Unsubscribe"] is None for m in staff_mail)

        page = await hd.http.get(path)  # a person opening the link sees one button
        assert page.status_code == 200 and "Berhenti" in page.text and "<form" in page.text
        forged = await hd.http.post(path.replace("tanda=", "tanda=0"),
                                    content=b"List-Unsubscribe=One-Click")
        assert forged.status_code == 404
        other = await hd.http.post(path.replace("sri%40", "budi%40"),
                                   content=b"List-Unsubscribe=One-Click")
        assert other.status_code == 404  # the tag is of one address only
        done = await hd.http.post(path, content=b"List-Unsubscribe=One-Click",
                                  headers={"content-type": "application/x-www-form-urlencoded"})
        assert done.status_code == 200 and "tidak akan menerima" in done.text

        await hd.post_ticket("batam", reporter=reporter, subject="Pertanyaan kedua")
        store = hd.runtime.service("notify").store

        def held_back():
            return store.query(f"SELECT last_error FROM {store.prefix}_mails WHERE recipient = ?"
                               " AND status = 'suppressed'", (ADDRESS,))

        [(reason,)] = await eventually(held_back, what="the second receipt held back")
        assert "meminta berhenti" in reason
        assert len([m for to, m in sink.messages if to == ADDRESS]) == 1

        # The "Tiket saya" link mail (sent by desk, not notify's queue) keeps the stop too:
        # the same answer as for an address that may be mailed, and no mail to the stopped one.
        budi = (await hd.post_ticket("batam", reporter={"name": "Budi", "email": OTHER})).json()
        # The link lists what desk's read model holds when it is asked: wait until it has Budi's.
        await eventually(lambda: hd.ticket(budi), what="tiket Budi di desk")
        answers = [await hd.http.post("/api/v1/reporters/link",
                                      json={"tenant": "batam", "email": who})
                   for who in (ADDRESS, OTHER)]
        assert [(r.status_code, r.text) for r in answers] == [(answers[1].status_code,
                                                               answers[1].text)] * 2
        await eventually(lambda: [m for to, m in sink.messages if to == OTHER
                                  and "Tiket saya" in str(m["Subject"])], what="tautan Tiket saya Budi")
        await asyncio.sleep(1.0)  # the stopped address's task ran alongside the other's
        assert len([m for to, m in sink.messages if to == ADDRESS]) == 1
