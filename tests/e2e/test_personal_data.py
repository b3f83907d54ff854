"""A reporter's personal data under UU PDP: exported, then erased while the helpdesk runs, and
afterwards no byte of it anywhere in the data folder (SQLite files and WALs, NATS's files,
logs), or in the PostgreSQL tables when the stores live there; another reporter's data stays.

One running helpdesk per database: tickets by the portal and by mail, with an identity card
number and a file each, answered by staff (mails sent), exported by the command and the API,
erased by the command (`personal-data erase`), then every file walked byte by byte.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
from contextlib import redirect_stdout
from email.message import EmailMessage

import aiosmtplib
import msgspec
import pytest
from conftest import PNG, eventually, make_settings, running_helpdesk
from datawalk import Hooks, leaks, pg_rows, stored_file
from scenario import Desk
from webclient import WebClient, text_of

from lpse_helpdesk.cli import main
from lpse_helpdesk.platform.natsserver import EmbeddedNats, free_port
from lpse_helpdesk.platform.store import Write
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.model import Webhook

ERASURE = "ticket.personal_data_erased"
ERASED = "[data dihapus]"
# The reporter to erase: every value distinctive, so a byte of it cannot be anything else.
KARTIKA = {"name": "Kartika Wulandarisembiring", "email": "kartika.zamrud@vendorqx.co.id",
           "phone": "081398765432", "nik": "3171998877665544",
           "word": "Zamrudkencanaputih", "file": "ktp-kartika-wulandarisembiring.png",
           "content": b"ISIBERKASKARTIKAQX"}
# A third, erased from the admins' page.
CITRA = {"name": "Citra Kusumawardhanix", "email": "citra.x@contohqz.id", "phone": "081277776666",
         "nik": "3300000000007777", "word": "Halamanhapusqz"}
# Another reporter of the same unit, who stays.
# A staff account erased from the same page: its display name must leave no byte either.
STAFF = {"username": "petugas.lama", "display_name": "Sutrisnowati Lamaqzx"}
BAMBANG = {"name": "Bambang Nusakambangan", "email": "bambang.tetap@contohqz.id",
           "phone": "081200001111", "nik": "3500000000004242", "word": "Lupakatasandiqz"}


def mail(port_to: str, person: dict, subject: str, body: str, attachment: tuple) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = f"{person['name']} <{person['email']}>", port_to, subject
    m.set_content(body)
    name, data = attachment
    m.add_attachment(data, maintype="image", subtype="png", filename=name)
    return m


async def cli(*args: str) -> tuple[int, str]:
    """`lpse-helpdesk ...` in a thread (it runs its own event loop), with its output."""
    out = io.StringIO()

    def run():
        with redirect_stdout(out):
            return main(list(args))

    code = await asyncio.to_thread(run)
    return code, out.getvalue()


async def report(hd, desk: Desk, person: dict, file: tuple | None) -> dict:
    attachments = []
    if file is not None:
        r = await hd.http.post("/api/v1/attachments", content=file[1],
                               headers={"content-type": "image/png"},
                               params={"tenant": "batam", "filename": file[0]})
        assert r.status_code == 201, r.text
        attachments = [r.json()["id"]]
    return await desk.report(
        reporter={"name": person["name"], "email": person["email"], "phone": person["phone"],
                  "kind": "penyedia", "organization": ""},
        subject=f"Unggah penawaran {person['word']}",
        description=f"Penawaran {person['word']} gagal diunggah; NIK saya {person['nik']}.",
        documents={"id_card": person["nik"]}, attachments=attachments)


@pytest.fixture
def keys_in_the_data_folder():
    """The helpdesk's own key store (keys.sqlite, or PostgreSQL's tables), not the test
    session's shared in-memory one: the erase deletes real keys."""
    from lpse_helpdesk.schemas import sealing

    shared = sealing._keystore
    sealing.pin_keystore(None)
    yield
    sealing.pin_keystore(shared)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_erase_leaves_no_byte_of_the_person(tmp_path, sink, backend, request,
                                                  keys_in_the_data_folder):
    url = request.getfixturevalue("pg_url") if backend == "postgres" else ""
    data = tmp_path / "data"
    nats = EmbeddedNats(free_port(), data / "nats")  # NATS's files inside the data folder
    nats.start()
    try:
        settings = make_settings(tmp_path, nats.url, url, smtp_url=sink.url,
                                 smtp_port=free_port())
        hooks = Hooks()
        standards = load_standards()  # batam tells a downstream system of each erasure
        standards["batam"] = msgspec.structs.replace(standards["batam"], webhooks=(
            Webhook(url=hooks.url, secret="rahasia-webhook-erasure", events=(ERASURE,)),),
            faq=msgspec.structs.replace(standards["batam"].faq, publish=True))
        async with running_helpdesk(settings, standards=standards) as hd:
            await _story(hd, settings, nats, sink, url)
            bodies = await eventually(lambda: len(hooks.bodies) >= 4 and hooks.bodies,
                                      timeout=30, what="penghapusan sampai ke webhook")
            assert {json.loads(b)["type"] for b in bodies} == {ERASURE}
            assert {json.loads(b)["reason"] for b in bodies} == {"request"}
            assert not any(KARTIKA["email"].encode() in b for b in bodies)
    finally:
        nats.stop()
        hooks.server.shutdown()


async def _story(hd, settings, nats, sink, url) -> None:
    desk = Desk(hd, "batam")
    await desk.staff("petugas", "helpdesk")
    await desk.staff("pengelola", "admin")
    base = ["--data-dir", str(settings.data_dir), *(["--database", url] if url else [])]
    secret_file = (KARTIKA["file"], PNG + KARTIKA["content"])

    # Kartika: one ticket by the portal with her KTP scan, one by mail with another file,
    portal = await report(hd, desk, KARTIKA, secret_file)
    m = mail("batam@lpse.test", KARTIKA, f"Mohon bantuan {KARTIKA['word']}",
             f"Saya {KARTIKA['name']}, telepon {KARTIKA['phone']}, NIK {KARTIKA['nik']}.",
             secret_file)
    _, response = await aiosmtplib.send(m, hostname="127.0.0.1", port=settings.smtp_port)
    by_mail = {"number": response.split("tiket ")[1].split(";")[0]}
    # ... a mail naming her ticket without answering our mail, held for staff ...
    held = mail("batam@lpse.test", KARTIKA, f"[{portal['number']}] tambahan {KARTIKA['word']}",
                f"Tambahan dari {KARTIKA['name']}, telepon {KARTIKA['phone']}.", secret_file)
    _, response = await aiosmtplib.send(held, hostname="127.0.0.1", port=settings.smtp_port)
    assert "petugas" in response, response
    staff_only = {"Authorization": f"Bearer {desk.tokens['petugas']}"}

    async def held_mails():
        r = await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"},
                              headers=staff_only)
        return r.json()
    [held_one] = await held_mails()
    held_file = held_one["attachments"][0]["id"]
    assert await stored_file(nats.url, held_file)
    # ... and a visit to the counter (the electronic guest book keeps her name and purpose).
    r = await hd.http.post("/api/v1/counter/visits", headers={
        "Authorization": f"Bearer {desk.tokens['petugas']}"}, json={
        "tenant": "batam", "purpose": f"Konsultasi {KARTIKA['word']}",
        "visitor": {"name": KARTIKA["name"], "email": KARTIKA["email"],
                    "phone": KARTIKA["phone"]},
        "subject": "Konsultasi", "description": f"Datang ke loket, NIK {KARTIKA['nik']}.",
        "documents": {"id_card": KARTIKA["nik"]}})
    assert r.status_code == 201, r.text
    walk_in = r.json()
    other = await report(hd, desk, BAMBANG, None)
    for ticket in (portal, other):
        await desk.act("petugas", ticket, "reply", {"message": "Silakan coba lagi."})
    await desk.reporter(portal, "replies", {"message": f"Masih gagal, {KARTIKA['word']}."})
    # Staff quote her in a classification's reason, and her mailed ticket (its subject holds
    # her word) closes into an FAQ draft: both sealed with her ticket's key.
    await desk.act("petugas", portal, "classify", {
        "category": "permasalahan", "reason": f"pelapor menulis {KARTIKA['word']}"})
    await desk.act("petugas", by_mail, "close", {"resolution": "Unggah ulang dokumen penawaran"
                                                 " dengan peramban terbaru.", "publish_faq": True})

    async def drafted():
        r = await hd.http.get("/api/v1/faq/drafts", params={"tenant": "batam"},
                              headers={"Authorization": f"Bearer {desk.tokens['pengelola']}"})
        return r.status_code == 200 and any(KARTIKA["word"] in d["question"] for d in r.json())
    await eventually(drafted, what="draf FAQ dari tiket Kartika")
    try:
        await eventually(lambda: sum(to == KARTIKA["email"] for to, _ in sink.messages) >= 3,
                         timeout=60, interval=0.2, what="surat ke Kartika terkirim")
    except AssertionError:
        raise AssertionError(f"surat terkirim: {sink.subjects()}") from None

    # Export: the command and the admin API list both tickets with what she gave.
    code, out = await cli("personal-data", "export", *base, "--email", KARTIKA["email"],
                          "--tenant", "batam")
    assert code == 0, out
    exported = json.loads(out)
    numbers = sorted(t["nomor"] for t in exported["tiket"])
    assert numbers == sorted([portal["number"], by_mail["number"], walk_in["number"]]), numbers
    text = json.dumps(exported, ensure_ascii=False)
    for key in ("name", "phone", "nik", "word", "file"):
        assert KARTIKA[key] in text, key
    assert BAMBANG["name"] not in text
    admin = {"Authorization": f"Bearer {desk.tokens['pengelola']}"}
    r = await hd.http.get("/api/v1/personal-data", headers=admin,
                          params={"tenant": "batam", "email": KARTIKA["email"].upper()})
    assert r.status_code == 200 and r.json()["jumlah_tiket"] == 3, r.text
    staff = {"Authorization": f"Bearer {desk.tokens['petugas']}"}
    r = await hd.http.get("/api/v1/personal-data", headers=staff,
                          params={"tenant": "batam", "email": KARTIKA["email"]})
    assert r.status_code == 403  # admins only

    await _page(hd, desk, settings)
    await _dead_letters(hd, portal)

    # Erase, while everything runs; NATS (for her files) given wrong at first.
    code, out = await cli("personal-data", "erase", *base, "--email", KARTIKA["email"],
                          "--tenant", "batam", "--nats", f"nats://127.0.0.1:{free_port()}")
    assert code == 1, out  # the files wait in the desk's list
    assert out.count(": dihapus") == 3, out
    desk_store = hd.runtime.service("desk").store
    pending = f"SELECT COUNT(*) FROM {desk_store.prefix}_erased_files"
    assert desk_store.query(pending)[0][0] == 2  # the portal's file and the mail's

    async def erased_everywhere():
        view = await desk.view(portal, "petugas")
        return view["reporter"]["name"] == ERASED and view["description"] == ERASED and view
    # 45 s: longer than a key may stay in a process's cache (keystore.CACHE_TTL_S).
    view = await eventually(erased_everywhere, timeout=45, what="tiket menampilkan [data dihapus]")
    assert ERASURE in [e["type"] for e in view["timeline"]]
    assert view["reporter"]["email"] == "" and view["status"] == "open"  # the ticket stays
    await eventually(lambda: held_mails_gone(hd, staff_only), what="surat tertahan dihapus")
    await eventually(lambda: _not(stored_file(nats.url, held_file)), timeout=30,
                     what="berkas surat tertahan dihapus dari object store")
    mine = await hd.ticket(portal)  # the reporter's own page reads the same
    assert mine["reporter"]["name"] == ERASED and mine["subject"] == ERASED
    kept = await desk.view(other, "petugas")
    assert kept["reporter"]["name"] == BAMBANG["name"]
    # Running it again records nothing new; the files left are deleted by it, or before it by
    # the running desk's timer, whichever comes first.
    code, out = await cli("personal-data", "erase", *base, "--email", KARTIKA["email"],
                          "--tenant", "batam", "--nats", nats.url)
    assert code == 0 and "dihapus;" not in out, out
    assert desk_store.query(pending)[0][0] == 0

    erased = {**KARTIKA, **{f"citra_{k}": v for k, v in CITRA.items()},
              "staff_name": STAFF["display_name"]}
    folder = settings.data_dir
    # The scrubs follow the event through every service; the checkpoints a moment later.
    try:
        await eventually(lambda: not leaks(folder, erased), timeout=30, interval=1.0,
                         what="tidak ada byte data Kartika")
    except AssertionError:
        raise AssertionError(f"masih ada di folder data: {leaks(folder, erased)}") from None
    if url:
        try:
            await eventually(lambda: not pg_rows(url, erased), timeout=30, interval=1.0,
                             what="tidak ada data Kartika di tabel PostgreSQL")
        except AssertionError:
            raise AssertionError(f"masih ada di tabel: {pg_rows(url, erased)}") from None
        assert pg_rows(url, {"name": BAMBANG["name"]}), "the other reporter must stay"
    else:
        # The other reporter is still there in clear (the desk's search rows), so the walk
        # above does find values when they are there.
        assert any(hit.endswith(": name") for hit in leaks(folder, {"name": BAMBANG["name"]}))
        assert (folder / "keys.sqlite").exists()  # the real key store, walked with the rest
    assert os.path.isdir(folder / "nats")


async def _staff_account(hd, desk: Desk, web: WebClient) -> None:
    """A staff account's data: exported and erased by an admin (API and page); refused for
    oneself and for a unit's last admin; the username stays in the histories."""
    admin = {"Authorization": f"Bearer {desk.tokens['pengelola']}"}
    r = await hd.http.post("/api/v1/users", headers=admin, json={
        "username": STAFF["username"], "role": "helpdesk", "tenant": "batam",
        "display_name": STAFF["display_name"], "password": "kata-sandi-lama-123"})
    assert r.status_code == 201, r.text
    path = f"/api/v1/personal-data/staff/{STAFF['username']}"
    r = await hd.http.get(path, headers={"Authorization": f"Bearer {desk.tokens['petugas']}"})
    assert r.status_code == 403  # admins only
    r = await hd.http.get(path, headers=admin)
    assert r.status_code == 200 and r.json()["nama_tampilan"] == STAFF["display_name"], r.text
    assert "hash" not in r.text and "totp_secret" not in r.text
    shown = await web.http.get("/staf/data-pribadi/", params={"username": STAFF["username"]})
    assert shown.status_code == 200 and STAFF["display_name"] in text_of(shown)
    got = await web.http.get("/staf/data-pribadi/unduh-staf", params={"username": STAFF["username"]})
    assert got.status_code == 200 and got.json()["nama_tampilan"] == STAFF["display_name"]
    look = f"/staf/data-pribadi/?username={STAFF['username']}"
    own = await web.form("/staf/data-pribadi/hapus-staf", {"username": "pengelola",
                                                           "yakin": "ya"}, page=look)
    assert own.status_code == 409 and "sedang Anda pakai" in text_of(own), text_of(own)
    await desk.staff("pusat", "admin", tenant="*")  # an admin of every unit
    r = await hd.http.post("/api/v1/personal-data/staff/pengelola/erase",
                           headers={"Authorization": f"Bearer {desk.tokens['pusat']}"})
    assert r.status_code == 409 and "admin aktif terakhir" in r.text, r.text
    unsure = await web.form("/staf/data-pribadi/hapus-staf", {"username": STAFF["username"]},
                            page=look)
    assert unsure.status_code == 400 and "Centang konfirmasi" in text_of(unsure)
    done = await web.form("/staf/data-pribadi/hapus-staf", {
        "username": STAFF["username"], "yakin": "ya"}, page=look)
    assert done.status_code == 200 and "dihapus" in text_of(done), text_of(done)
    r = await hd.http.get(path, headers=admin)
    assert r.status_code == 404
    r = await hd.http.post("/api/v1/auth/token", json={"username": STAFF["username"],
                                                       "password": "kata-sandi-lama-123"})
    assert r.status_code == 401


async def _dead_letters(hd, ticket: dict) -> None:
    """A dead letter of her ticket in triage and escalation, whose error quotes her word (a
    handler's exception may hold a decoded value): their erasure consumers drop them."""
    desk = hd.runtime.service("desk").store
    [(ticket_id,)] = desk.query(f"SELECT ticket_id FROM {desk.prefix}_ticket_state"
                                " WHERE number = ?", (ticket["number"],))
    for service in ("triage", "escalation"):
        store = hd.runtime.service(service).store
        store.execute([Write(
            f"INSERT INTO {store.prefix}_dead_letters (consumer, stream_seq, subject, payload,"
            " error, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (service, 10**9, f"helpdesk.batam.ticket.{ticket_id}.received", "e30=",
             f"ValueError: {KARTIKA['word']}", 5, "2026-12-01T00:00:00+00:00"))])


async def _not(check) -> bool:
    return not await check


async def held_mails_gone(hd, headers) -> bool:
    r = await hd.http.get("/api/v1/mail/held", params={"tenant": "batam"}, headers=headers)
    return r.status_code == 200 and r.json() == []


async def _page(hd, desk: Desk, settings) -> None:
    """The admins' page: the person's tickets shown, the erase refused without the
    confirmation, then done (through the desk's API, which also deletes the files)."""
    citra = await report(hd, desk, CITRA, ("lampiran-citra.png", PNG + b"CITRAQZ"))
    base = f"http://{settings.http_host}:{settings.http_port}"
    async with WebClient(base) as web:
        assert (await web.login("pengelola")).status_code == 303
        shown = await web.http.get("/staf/data-pribadi/",
                                   params={"tenant": "batam", "email": KARTIKA["email"]})
        assert shown.status_code == 200 and KARTIKA["name"] in text_of(shown)
        assert "3 tiket" in text_of(shown)
        look = f"/staf/data-pribadi/?tenant=batam&email={CITRA['email']}"
        unsure = await web.form("/staf/data-pribadi/hapus",
                                {"tenant": "batam", "email": CITRA["email"]}, page=look)
        assert unsure.status_code == 400 and "Centang konfirmasi" in text_of(unsure)
        done = await web.form("/staf/data-pribadi/hapus", {
            "tenant": "batam", "email": CITRA["email"], "yakin": "ya"}, page=look)
        assert done.status_code == 200 and citra["number"] in text_of(done), text_of(done)
        await _staff_account(hd, desk, web)
    view = await desk.view(citra, "petugas")
    assert view["reporter"]["name"] == ERASED
    ref = view["timeline"][0]["event"]["attachments"][0]
    r = await hd.http.get(f"/api/v1/tickets/{citra['number']}/attachments/{ref['id']}",
                          headers={"Authorization": f"Bearer {desk.tokens['petugas']}"})
    assert r.status_code == 404  # the file is gone from the object store
