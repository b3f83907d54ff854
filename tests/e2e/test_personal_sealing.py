"""A ticket with distinctive personal values goes through a running helpdesk (intake, triage,
desk, notify with a real mail server): the API still shows every value, and yet no byte of
them is in clear in any service's stored events, in desk's event history, in the NATS stream
or in the attachment object store; the key store holds the address only as an HMAC.
(Read models still hold plaintext: erasing them is `personal-data erase`, docs/privacy.md.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import PNG, eventually, make_settings, running_helpdesk

from lpse_helpdesk.schemas import sealing

NAME, EMAIL, PHONE = "Wiryawan Kusumadinata", "wiryawan.k77@rahasia-contoh.id", "081399887766"
ORG, SUBJECT = "CV Kenanga Tersembunyi", "Penawaran hilang Kenanga-7781"
DESCRIPTION = "Deskripsi khusus Kenanga-7781 dengan NIK 3171112233445566"
NIK, FILENAME, FILE_TEXT = "3171112233445566", "ktp-wiryawan-7781.png", b"ISI-BERKAS-KENANGA-7781"
REPLY = "Balasan pelapor Kenanga-7781-balasan"
VALUES = [NAME, EMAIL, PHONE, ORG, SUBJECT, DESCRIPTION, NIK, FILENAME, REPLY]


def _event_rows(path: Path) -> list[bytes]:
    """Every stored event of one service's SQLite file: eventsourcing's table and a history
    table of events (desk's `_ticket_events`)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type ="
                                                 " 'table'")
                  if name == "stored_events" or name.endswith("_ticket_events")]
        rows = []
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                rows += [v if isinstance(v, bytes) else str(v).encode() for v in row]
        return rows
    finally:
        db.close()


def _found(data: bytes) -> list[str]:
    return [v for v in VALUES if v.encode() in data] + (["file"] if FILE_TEXT in data else [])


@pytest.fixture
def keys_in_the_data_folder():
    """The helpdesk's own key store (keys.sqlite), not the session's shared in-memory one."""
    shared = sealing._keystore
    sealing.pin_keystore(None)
    yield
    sealing.pin_keystore(shared)


async def test_personal_values_are_nowhere_in_clear_in_events_stream_or_files(
        tmp_path, nats_server, sink, keys_in_the_data_folder):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    async with running_helpdesk(settings, services=["intake", "triage", "desk", "notify"]) as hd:
        upload = await hd.http.post(
            "/api/v1/attachments", content=PNG + FILE_TEXT, headers={"content-type": "image/png"},
            params={"tenant": "batam", "filename": FILENAME})
        assert upload.status_code == 201, upload.text
        created = (await hd.post_ticket(
            reporter={"name": NAME, "email": EMAIL, "phone": PHONE, "kind": "penyedia",
                      "organization": ORG},
            subject=SUBJECT, description=DESCRIPTION, attachments=[upload.json()["id"]],
            documents={"id_card": NIK, "company_npwp": "terlampir"})).json()
        number, token = created["number"], created["access_token"]
        reply = await hd.http.post(f"/api/v1/tickets/{number}/replies", params={"token": token},
                                   json={"message": REPLY})
        assert reply.status_code == 201, reply.text

        async def seen():
            ticket = await hd.ticket(created)
            return ticket if ticket and REPLY in str(ticket) else None

        ticket = await eventually(seen, what="balasan pelapor di tiket")
        for value in (NAME, EMAIL, SUBJECT, DESCRIPTION):  # opened again for the API
            assert value in str(ticket), value
        await eventually(lambda: any(to == EMAIL for to, _ in sink.messages), what="surat")
        [attachment] = ticket["timeline"][0]["event"]["attachments"]
        download = await hd.http.get(
            f"/api/v1/tickets/{number}/attachments/{attachment['id']}", params={"token": token})
        assert download.status_code == 200 and download.content == PNG + FILE_TEXT
        assert attachment["filename"] == FILENAME

    data_dir = settings.data_dir
    stores = sorted(p for p in data_dir.glob("*.sqlite") if p.name != "keys.sqlite")
    assert {p.stem for p in stores} >= {"intake", "triage", "desk", "notify"}
    for store in stores:
        rows = _event_rows(store)
        assert rows, store
        leaks = {v for row in rows for v in _found(row)}
        assert not leaks, (store.name, leaks)
    nats_files = [p for p in (tmp_path / "nats").rglob("*") if p.is_file()]
    assert any("ATTACHMENTS" in str(p) for p in nats_files)
    assert any("TICKETS" in str(p) for p in nats_files)
    for path in nats_files:
        assert not _found(path.read_bytes()), path
    keys = b"".join(p.read_bytes() for p in data_dir.glob("keys.sqlite*"))
    assert keys and EMAIL.encode() not in keys and EMAIL.split("@")[0].encode() not in keys
