"""Staff accounts (issue 16): list, disable, enable, unlock, reset and delete from the command
line, the API and the admin page; disabling, resetting or deleting voids the account's tokens
at once in every process; reporters see display names, never usernames."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import replace

import httpx
import pytest
from conftest import eventually, make_settings, running_helpdesk
from scenario import PASSWORD, Desk
from webclient import WebClient, text_of

from lpse_helpdesk import cli_users
from lpse_helpdesk.platform import natsauth
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.platform.runtime import Runtime
from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.desk import accounts, users
from lpse_helpdesk.standards import load_standards


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def login(hd, username: str, password: str = PASSWORD):
    return await hd.http.post("/api/v1/auth/token",
                              json={"username": username, "password": password})


async def test_a_changed_account_loses_its_tokens_at_once_in_every_process(
        tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        # Another process's view: a runtime of its own (its own revocations) serving the FAQ.
        other = Runtime(replace(settings, http_port=free_port()), [definition("faq_publisher")],
                        standards=hd.runtime.standards)
        async with other:
            await asyncio.wait_for(other.nats_ready.wait(), 20)
            other_url = f"http://{settings.http_host}:{other.settings.http_port}"
            desk = Desk(hd, "batam")
            await desk.staff("admin.pusat", "admin", tenant="*")
            ticket = await desk.report()
            admin = bearer(desk.tokens["admin.pusat"])

            async def answers(token: str) -> list:
                calls = [
                    hd.http.get("/api/v1/queues", params={"tenant": "batam"}, headers=bearer(token)),
                    hd.http.get("/api/v1/units/batam/figures", headers=bearer(token)),
                    hd.http.post(f"/api/v1/tickets/{ticket['number']}/notes", headers=bearer(token),
                                 json={"message": "catatan internal"}),
                    hd.http.get(f"{other_url}/api/v1/faq/drafts", params={"tenant": "batam"},
                                headers=bearer(token)),
                ]
                return list(await asyncio.gather(*calls))

            for change in ("disable", "reset-password", "delete"):
                username = f"koord.{change}"
                await desk.staff(username, "koordinator")
                token = desk.tokens[username]
                assert [r.status_code for r in await answers(token)] == [200, 200, 200, 200]
                path = f"/api/v1/users/{username}"
                r = await (hd.http.delete(path, headers=admin) if change == "delete" else
                           hd.http.post(f"{path}/{change}", headers=admin, json={}))
                assert r.status_code == 200, r.text
                assert r.json()["tokens_revoked"] is True
                started = time.monotonic()

                async def all_refused():
                    found = await answers(token)
                    return found if all(a.status_code == 401 for a in found) else None

                refused = await eventually(all_refused, timeout=1.0, what=f"token {change} ditolak")
                assert time.monotonic() - started < 1.0
                assert all("dicabut" in a.json()["detail"] for a in refused)
                again = await login(hd, username)
                assert again.status_code == 401, (change, again.text)

            # Disabled: no login (said after a correct password only); enabled again: a new token.
            await desk.staff("hd.cuti", "helpdesk")
            old = desk.tokens["hd.cuti"]
            assert (await hd.http.post("/api/v1/users/hd.cuti/disable", headers=admin)).status_code == 200
            r = await login(hd, "hd.cuti")
            assert r.status_code == 401 and "dinonaktifkan" in r.json()["detail"]
            assert "dinonaktifkan" not in (await login(hd, "hd.cuti", "salah-salah-salah")).text
            assert (await hd.http.post("/api/v1/users/hd.cuti/enable", headers=admin)).status_code == 200
            fresh = (await login(hd, "hd.cuti")).json()["access_token"]
            queue = "/api/v1/queues?tenant=batam"
            assert (await hd.http.get(queue, headers=bearer(fresh))).status_code == 200
            assert (await hd.http.get(queue, headers=bearer(old))).status_code == 401
            assert (await hd.http.get(f"{other_url}/api/v1/faq/drafts?tenant=batam",
                                      headers=bearer(fresh))).status_code == 403  # a role, not 401


async def test_only_admins_manage_accounts_and_only_of_their_unit(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("admin.btm", "admin")
        await desk.staff("hd.btm", "helpdesk")
        await desk.staff("hd.lpg", "helpdesk", tenant="lampung")
        unit_admin, helpdesk = bearer(desk.tokens["admin.btm"]), bearer(desk.tokens["hd.btm"])

        listed = await hd.http.get("/api/v1/users", headers=unit_admin)
        assert {a["username"] for a in listed.json()} == {"admin.btm", "hd.btm"}
        assert (await hd.http.get("/api/v1/users", headers=helpdesk)).status_code == 403
        assert (await hd.http.get("/api/v1/users?tenant=lampung", headers=unit_admin)).status_code == 403
        assert (await hd.http.post("/api/v1/users/hd.lpg/disable", headers=unit_admin)).status_code == 404
        assert (await hd.http.post("/api/v1/users/admin.btm/disable", headers=unit_admin)).status_code == 409
        assert (await hd.http.post("/api/v1/users/hd.btm/unlock", headers=helpdesk)).status_code == 403
        made = await hd.http.post("/api/v1/users", headers=unit_admin, json={
            "username": "hd.lpg2", "role": "helpdesk", "tenant": "lampung"})
        assert made.status_code == 403
        made = await hd.http.post("/api/v1/users", headers=unit_admin, json={
            "username": "sri.w", "role": "helpdesk", "tenant": "batam", "display_name": "Sri Wahyuni"})
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["account"]["display_name"] == "Sri Wahyuni" and len(body["password"]) >= 16
        assert (await login(hd, "sri.w", body["password"])).status_code == 200
        again = await hd.http.post("/api/v1/users", headers=unit_admin, json={
            "username": "sri.w", "role": "helpdesk", "tenant": "batam", "password": PASSWORD})
        assert again.status_code == 409 and again.json()["field"] == "username"
        short = await hd.http.post("/api/v1/users/sri.w/reset-password", headers=unit_admin,
                                   json={"password": "pendek"})
        assert short.status_code == 400 and short.json()["field"] == "password"
        typed = await hd.http.post("/api/v1/users/sri.w/reset-password", headers=unit_admin,
                                   json={"password": "kata-sandi-baru-99"})
        assert typed.status_code == 200 and typed.json()["password"] == ""
        assert (await login(hd, "sri.w", "kata-sandi-baru-99")).status_code == 200


OLD_USERS = ("CREATE TABLE IF NOT EXISTS {p}_users ("
             " username TEXT PRIMARY KEY, tenant TEXT NOT NULL, role TEXT NOT NULL,"
             " password_hash TEXT NOT NULL, failed_attempts INTEGER NOT NULL DEFAULT 0,"
             " locked_until TEXT, created_at TEXT NOT NULL)")


def test_the_store_keeps_accounts_states_and_revocations(tmp_path, database_url):
    settings = make_settings(tmp_path, "nats://127.0.0.1:1", database_url)
    standards = load_standards()
    old = ServiceStore("desk", settings, [OLD_USERS])  # a store from before display names
    old.execute([users.Write(
        f"INSERT INTO {old.prefix}_users VALUES ('lama', 'batam', 'helpdesk', ?, 0, NULL, 'x')",
        (users.hash_password(PASSWORD),))])
    old.close()
    store = ServiceStore("desk", settings, definition("desk").tables)
    try:
        users.upgrade(store)
        users.upgrade(store)  # twice: nothing to do the second time
        [before] = accounts.list_accounts(store)
        assert (before.display_name, before.state) == ("Petugas Helpdesk", "aktif")
        assert users.authenticate(store, "lama", PASSWORD) == ("batam", "helpdesk")
        assert accounts.get_account(store, "lama").last_login

        users.add_user(store, standards, "batam", "sri.w", "koordinator", PASSWORD, "Sri  Wahyuni")
        assert accounts.get_account(store, "sri.w").display_name == "Sri Wahyuni"
        with pytest.raises(users.UserError):
            users.add_user(store, standards, "batam", "ada spasi", "helpdesk", PASSWORD)

        assert accounts.set_disabled(store, "sri.w", True, 1000.5) == 1000.5
        assert accounts.get_account(store, "sri.w").state == "nonaktif"
        with pytest.raises(users.AccountDisabled):
            users.authenticate(store, "sri.w", PASSWORD)
        with pytest.raises(users.LoginFailed) as wrong:
            users.authenticate(store, "sri.w", "bukan-kata-sandinya")
        assert not isinstance(wrong.value, users.AccountDisabled)
        assert accounts.set_disabled(store, "sri.w", False, 1001.0) is None
        assert users.authenticate(store, "sri.w", PASSWORD) == ("batam", "koordinator")

        for _ in range(users.MAX_FAILURES):
            with pytest.raises(users.LoginFailed):
                users.authenticate(store, "sri.w", "tebakan-salah")
        assert accounts.get_account(store, "sri.w").state == "terkunci"
        with pytest.raises(users.AccountLocked):
            users.authenticate(store, "sri.w", PASSWORD)
        accounts.unlock(store, "sri.w")
        assert users.authenticate(store, "sri.w", PASSWORD)

        accounts.reset_password(store, "sri.w", "kata-sandi-baru-99", 1002.25)
        with pytest.raises(users.LoginFailed):
            users.authenticate(store, "sri.w", PASSWORD)
        assert users.authenticate(store, "sri.w", "kata-sandi-baru-99")
        accounts.delete(store, "lama", 1003.0)
        with pytest.raises(accounts.AccountNotFound):
            accounts.delete(store, "lama", 1004.0)
        assert [a.username for a in accounts.list_accounts(store)] == ["sri.w"]

        # What NATS has not taken yet: the latest time of each account, until marked.
        assert sorted(accounts.unpublished(store)) == [("lama", 1003.0), ("sri.w", 1002.25)]
        accounts.mark_published(store, "sri.w", 1002.25)
        assert accounts.unpublished(store) == [("lama", 1003.0)]
    finally:
        store.close()


async def test_reporters_see_display_names_never_usernames(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("admin.pusat", "admin", tenant="*")
        made = await hd.http.post("/api/v1/users", headers=bearer(desk.tokens["admin.pusat"]), json={
            "username": "sriwahyuni77", "role": "helpdesk", "tenant": "batam",
            "display_name": "Sri Wahyuni", "password": PASSWORD})
        assert made.status_code == 201, made.text
        r = await login(hd, "sriwahyuni77")
        desk.tokens["sriwahyuni77"] = r.json()["access_token"]
        await desk.staff("budi.hd.btm", "helpdesk")  # no display name: the role's name

        ticket = await desk.report()
        await desk.act("sriwahyuni77", ticket, "reply", {"message": "Silakan reset kata sandi."})
        await desk.act("budi.hd.btm", ticket, "notes", {"message": "cek log server"})
        await desk.act("budi.hd.btm", ticket, "close", {"resolution": "Sudah dibantu reset."})
        await desk.reporter(ticket, "feedback", {"solved": False, "message": "masih gagal"})
        # The reporter's "not solved" reopens it to whoever closed it (`assignee`).
        seen = await desk.until(ticket, lambda t: t["status"] != "closed" and any(
            e["type"] == "ticket.reopened" for e in t["timeline"]), "dibuka kembali")

        as_json = json.dumps(seen)
        assert "sriwahyuni77" not in as_json and "budi.hd.btm" not in as_json
        assert "Sri Wahyuni" in as_json and "Petugas Helpdesk" in as_json
        [reopened] = [e["event"] for e in seen["timeline"] if e["type"] == "ticket.reopened"]
        assert reopened["assignee"] == "Petugas Helpdesk"
        staff_view = await desk.view(ticket, "budi.hd.btm")
        assert "sriwahyuni77" in json.dumps(staff_view)  # staff still see who did what

        base = f"http://{settings.http_host}:{settings.http_port}"
        async with httpx.AsyncClient(base_url=base, follow_redirects=True) as browser:
            # The mailed link: its token is swapped for a cookie, then the page.
            status = await browser.get("/portal/status", params={
                "nomor": ticket["number"], "token": ticket["access_token"]})
        assert status.status_code == 200 and ticket["number"] in status.text
        page = text_of(status)
        assert "Sri Wahyuni" in page
        assert "sriwahyuni77" not in status.text and "budi.hd.btm" not in status.text


async def test_the_admin_page(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk", "web"]) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("admin.pusat", "admin", tenant="*")
        await desk.staff("hd.btm", "helpdesk")
        base = f"http://{settings.http_host}:{settings.http_port}"
        async with WebClient(base) as web:
            assert (await web.login("admin.pusat")).status_code == 303
            listing = await web.http.get("/staf/pengguna")
            assert listing.status_code == 200 and "hd.btm" in listing.text
            assert 'href="/staf/pengguna"' in listing.text  # the admin's menu links it
            form = "/staf/pengguna"

            made = await web.form(form, {"username": "hd.baru", "display_name": "Rina Marlina",
                                         "role": "helpdesk", "tenant": "batam", "password": ""},
                                  page=form)
            assert made.status_code == 200 and "hanya tampil sekali" in made.text
            password = made.text.split('id="kata-sandi-baru">')[1].split("<")[0]
            token = (await login(hd, "hd.baru", password)).json()["access_token"]
            queue = "/api/v1/queues?tenant=batam"
            assert (await hd.http.get(queue, headers=bearer(token))).status_code == 200

            off = await web.form(f"{form}/hd.baru/nonaktifkan", {}, page=form)
            assert off.status_code == 303
            after = text_of(await web.http.get(off.headers["location"]))
            assert "Pengguna hd.baru dinonaktifkan" in after and "Nonaktif" in after
            await eventually(lambda: _status(hd, queue, token, 401), timeout=1.0, what="dicabut")
            assert (await web.form(f"{form}/hd.baru/aktifkan", {}, page=form)).status_code == 303

            reset = await web.form(f"{form}/hd.baru/atur-ulang", {"password": ""}, page=form)
            assert reset.status_code == 200 and "hanya tampil sekali" in reset.text
            new_password = reset.text.split('id="kata-sandi-baru">')[1].split("<")[0]
            assert new_password != password
            assert (await login(hd, "hd.baru", password)).status_code == 401
            assert (await login(hd, "hd.baru", new_password)).status_code == 200

            gone = await web.form(f"{form}/hd.baru/hapus", {}, page=form)
            assert gone.status_code == 303
            after = await web.http.get(gone.headers["location"])
            assert "Pengguna hd.baru dihapus" in text_of(after)
            assert "hd.baru" not in (await web.http.get(form)).text
            assert (await login(hd, "hd.baru", new_password)).status_code == 401

        async with WebClient(base) as web:  # a helpdesk member: no link, and the page refuses
            assert (await web.login("hd.btm")).status_code == 303
            assert 'href="/staf/pengguna"' not in (await web.http.get("/staf/antrean")).text
            refused = await web.http.get("/staf/pengguna")
            assert refused.status_code == 403 and "admin" in text_of(refused)
            tried = await web.form("/staf/pengguna/admin.pusat/nonaktifkan", {}, page="/staf/antrean")
            assert tried.status_code == 403


async def _status(hd, path: str, token: str, expected: int) -> bool:
    return (await hd.http.get(path, headers=bearer(token))).status_code == expected


def _cli(tmp_path, *args, stdin: str = "", nats: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    command = [sys.executable, "-m", "lpse_helpdesk.cli", "users", *args,
               "--data-dir", str(tmp_path / "data"), *(["--nats", nats] if nats else [])]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)


async def test_the_users_commands_while_the_helpdesk_runs(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    url = nats_server.url
    async with running_helpdesk(settings, services=["desk"]) as hd:
        cli = lambda *a, **kw: asyncio.to_thread(_cli, tmp_path, *a, **kw)  # noqa: E731
        made = await cli("add", "--tenant", "batam", "--username", "sri.w", "--role", "helpdesk",
                         "--display-name", "Sri Wahyuni", stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
        token = (await login(hd, "sri.w")).json()["access_token"]
        queue = "/api/v1/queues?tenant=batam"

        listed = await cli("list", "--json")
        [account] = json.loads(listed.stdout)
        assert account["display_name"] == "Sri Wahyuni" and account["state"] == "aktif"
        assert account["last_login"]
        table = (await cli("list")).stdout
        assert "sri.w" in table and "Sri Wahyuni" in table and "aktif" in table

        off = await cli("disable", "sri.w", nats=url)
        assert off.returncode == 0 and "ditolak di semua layanan" in off.stdout, off.stderr
        await eventually(lambda: _status(hd, queue, token, 401), timeout=1.0, what="dicabut")
        assert (await login(hd, "sri.w")).status_code == 401
        assert "nonaktif" in (await cli("list")).stdout
        assert (await cli("enable", "sri.w")).returncode == 0
        token = (await login(hd, "sri.w")).json()["access_token"]

        for _ in range(users.MAX_FAILURES):
            await login(hd, "sri.w", "tebakan-salah-1")
        assert (await login(hd, "sri.w")).status_code == 429
        assert "terkunci sampai" in (await cli("list")).stdout
        assert (await cli("unlock", "sri.w")).returncode == 0
        assert (await login(hd, "sri.w")).status_code == 200

        reset = await cli("reset-password", "sri.w", "--generate", nats=url)
        assert reset.returncode == 0, reset.stderr
        password = reset.stdout.split("shown once: ")[1].split()[0]
        await eventually(lambda: _status(hd, queue, token, 401), timeout=1.0, what="dicabut")
        assert (await login(hd, "sri.w")).status_code == 401
        token = (await login(hd, "sri.w", password)).json()["access_token"]

        # NATS unreachable: the change is stored, the command says what that means, exit 1;
        # the running desk then sends the revocation itself.
        dead = f"nats://127.0.0.1:{free_port()}"
        gone = await cli("delete", "sri.w", nats=dead)
        assert gone.returncode == 1 and "belum terkirim ke NATS" in gone.stderr, gone.stderr
        assert "sri.w" not in (await cli("list")).stdout
        assert (await login(hd, "sri.w", password)).status_code == 401
        await eventually(lambda: _status(hd, queue, token, 401), timeout=5.0, what="relai desk")
        assert (await cli("delete", "sri.w", nats=url)).returncode == 1  # no such user now

        # In a folder `up` runs on, without --nats: the embedded server `up` recorded, as the
        # services' user (this test's server takes any).
        users_of_bus = natsauth.load_or_create(settings.data_dir)
        natsauth.write_subscriber_url(settings.data_dir, users_of_bus, "127.0.0.1",
                                      int(url.rsplit(":", 1)[1]))
        assert (await cli("add", "--tenant", "batam", "--username", "hd.up", "--role",
                          "helpdesk", stdin=PASSWORD + "\n")).returncode == 0
        # Checked here first, so a wrong guess never reaches whatever listens on 4222.
        derived = cli_users._nats_url(argparse.Namespace(nats=None), settings)
        assert derived.endswith(url.rsplit(":", 1)[1]) and "helpdesk:" in derived
        off = await cli("disable", "hd.up")
        assert off.returncode == 0 and "ditolak di semua layanan" in off.stdout, off.stderr
