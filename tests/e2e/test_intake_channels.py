"""Phone and walk-in counters, complaints, concurrency of numbers, and fuzzed input on every
channel (HTTP and SMTP): 4xx/5xx with messages, never a server error, never a partial ticket."""

from __future__ import annotations

import asyncio
import json
import random
import string

import aiosmtplib
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.natsserver import free_port
from scenario import Desk


@pytest.fixture
async def hd(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port())
    async with running_helpdesk(settings) as running:
        yield running


def visit(tenant: str, name: str, **extra) -> dict:
    return {"tenant": tenant, "visitor": {"name": name, "organization": "Dinas PUPR"},
            "purpose": "konsultasi", "subject": "Tanya cara unggah dokumen",
            "description": "Datang langsung ke loket menanyakan unggah dokumen penawaran", **extra}


async def test_walk_in_visitors_get_the_days_queue_numbers_and_a_ticket(hd):
    batam, tuban = Desk(hd, "batam"), Desk(hd, "tuban")
    front = await batam.staff("loket.btm", "helpdesk")
    front_tuban = await tuban.staff("loket.tbn", "helpdesk")
    headers = {"Authorization": f"Bearer {batam.tokens[front]}"}
    responses = await asyncio.gather(*(
        hd.http.post("/api/v1/counter/visits", json=visit("batam", f"Tamu {i}"), headers=headers)
        for i in range(12)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    queue = sorted(r.json()["queue_number"] for r in responses)
    assert queue == [f"A-{i:03d}" for i in range(1, 13)]  # the day's numbers, no gap, no repeat
    created = responses[0].json()
    ticket = await batam.until(created, lambda t: t["category"] is not None, "tiket tamu")
    assert ticket["channel"] == "walk_in" and ticket["queue_number"] == created["queue_number"]
    # The reporter's view: staff by display name (none given: the role's), never by username.
    assert ticket["timeline"][0]["event"]["logged_by"] == "Petugas Helpdesk"
    book = hd.runtime.service("intake").store.query(
        "SELECT COUNT(*), MIN(purpose), MIN(organization) FROM intake_guest_book WHERE tenant = 'batam'")
    assert book == [(12, "konsultasi", "Dinas PUPR")]
    # Another unit counts its own visitors from 1; Tuban's standard asks for ID and phone.
    tuban_headers = {"Authorization": f"Bearer {tuban.tokens[front_tuban]}"}
    r = await hd.http.post("/api/v1/counter/visits", json=visit("tuban", "Sari"), headers=tuban_headers)
    assert r.status_code == 400 and "tanda pengenal" in r.json()["detail"]
    body = visit("tuban", "Sari", documents={"id_card": "KTP dilihat petugas"})
    body["visitor"].update(email="sari@contoh.id", phone="0812")
    r = await hd.http.post("/api/v1/counter/visits", json=body, headers=tuban_headers)
    assert r.status_code == 201 and r.json()["queue_number"] == "A-001"
    # Only staff of the unit may log visitors.
    r = await hd.http.post("/api/v1/counter/visits", json=visit("batam", "X"), headers=tuban_headers)
    assert r.status_code == 403
    assert (await hd.http.post("/api/v1/counter/visits", json=visit("batam", "X"))).status_code == 401


async def test_phone_call_and_complaint_routed_to_the_head_of_unit(hd):
    d = Desk(hd, "batubara")
    helpdesk, head = await d.staff("hd.btb", "helpdesk"), await d.staff("kepala.btb", "kepala_unit")
    headers = {"Authorization": f"Bearer {d.tokens[helpdesk]}"}
    call = {"tenant": "batubara", "visitor": {"name": "Pak Hasan", "phone": "0622 697703"},
            "purpose": "telepon", "subject": "Lupa kata sandi", "description": "Penelepon lupa sandi SPSE"}
    r = await hd.http.post("/api/v1/counter/calls", json=call, headers=headers)
    assert r.status_code == 201 and r.json()["queue_number"] == ""
    ticket = await d.until(r.json(), lambda t: t["category"] is not None, "tiket telepon")
    assert ticket["channel"] == "phone" and ticket["acting_role"] == "helpdesk"

    complaint = await d.report(kind="complaint", subject="Pelayanan loket lambat",
                               description="Saya menunggu dua jam di loket tanpa dilayani")
    view = await d.until(complaint, lambda t: t["kind"] == "complaint", "pengaduan")
    assert view["acting_role"] == "kepala_unit"
    await d.act(helpdesk, complaint, "close", {"resolution": "x"}, expect=403)
    await d.act(head, complaint, "reply", {"message": "Terima kasih, kami perbaiki antrean."})
    await d.act(head, complaint, "close", {"resolution": "Jadwal petugas loket ditambah"})

    async def complaints_queue():
        r = await hd.http.get("/api/v1/queues", params={"tenant": "batubara", "kind": "complaint"},
                              headers={"Authorization": f"Bearer {d.tokens[head]}"})
        assert r.status_code == 200
        return r.json() == []

    await eventually(complaints_queue, what="pengaduan ditutup keluar dari antrean")


async def test_200_concurrent_posts_give_200_contiguous_numbers(hd):
    responses = await asyncio.gather(*(hd.post_ticket("batubara") for _ in range(200)))
    assert all(r.status_code == 201 for r in responses)
    seqs = sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in responses)
    assert seqs == list(range(1, 201))
    assert len({r.json()["id"] for r in responses}) == 200


def _random_json(rng: random.Random, depth: int = 0):
    choices = [lambda: rng.randint(-10**12, 10**12), lambda: rng.random(), lambda: None,
               lambda: rng.choice([True, False]),
               lambda: "".join(rng.choice(string.printable + "éø漢") for _ in range(rng.randint(0, 40)))]
    if depth < 3:
        choices += [lambda: [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))],
                    lambda: {rng.choice(["tenant", "channel", "reporter", "subject", "description",
                                         "kind", "documents", "name", "email", "x"]):
                             _random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}]
    return rng.choice(choices)()


async def test_fuzzed_http_and_smtp_input_never_breaks_intake(hd):
    rng = random.Random(20261122)
    intake = hd.runtime.service("intake").store
    before = intake.max_notification_id()  # (the fixture starts empty)
    valid = {"tenant": "batam", "channel": "web", "reporter": {"name": "A"}, "subject": "s",
             "description": "d"}
    accepted = 0  # 201 from HTTP, 250 from SMTP: each must be exactly one whole ticket
    for i in range(150):
        if i % 3 == 0:  # mutate one field of a valid body
            body = dict(valid)
            body[rng.choice(list(valid))] = _random_json(rng)
            content = json.dumps(body).encode()
        elif i % 3 == 1:
            content = json.dumps(_random_json(rng)).encode()
        else:
            content = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        r = await hd.http.post("/api/v1/tickets", content=content,
                               headers={"content-type": "application/json"})
        assert r.status_code < 500, (content, r.status_code, r.text)
        if r.status_code == 201:
            accepted += 1
        else:
            assert r.json()["detail"], content

    port = hd.settings.smtp_port
    for i in range(40):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000)))
        if i % 2:
            raw = b"From: a@b.id\r\nSubject: " + raw[:80].replace(b"\r", b"").replace(b"\n", b"") \
                + b"\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n" + raw
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10)
        await smtp.connect()
        try:
            await smtp.sendmail("a@b.id", ["batubara@lpse.test"], raw)
            accepted += 1
        except aiosmtplib.SMTPResponseException as exc:
            # A reasoned refusal. Not 451: intake answers that to a crash in its own code (the
            # sender retries), and NATS is up here, so 451 could only mean intake broke.
            assert 500 <= exc.code < 600 and exc.code != 451 and exc.message, (exc.code, exc.message)
        finally:
            await smtp.quit()
    # Every stored event is a whole ticket: each received event decodes and has a number.
    from lpse_helpdesk.schemas import decode_event

    stored = intake.notifications(before, 10_000)
    assert len(stored) == accepted  # nothing stored for a refusal, one ticket per acceptance
    for n in stored:
        event = decode_event(n.state)
        assert event.tag == "ticket.received" and event.number
    assert (await hd.post_ticket()).status_code == 201  # and intake still works
