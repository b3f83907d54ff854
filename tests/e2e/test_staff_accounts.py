"""Staff accounts through the API and the desk's store: disabling, resetting or
deleting an account voids its tokens at once in every process (a second runtime too), only
admins manage accounts and only of their unit, and the store keeps states, lock-outs and the
revocations NATS has not taken. The commands, the admin page and what reporters see:
`test_staff_pages_and_cli.py`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from conftest import eventually, make_settings, running_helpdesk
from paged import refuses_bad_paging, walk
from scenario import PASSWORD, Desk

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
        # A page at a time (platform/paging.py), by unit and username, each account once.
        paged, pages = await walk(hd.http, "/api/v1/users", {}, unit_admin, limit=2)
        assert [a["username"] for a in paged] == ["admin.btm", "hd.btm", "sri.w"] and pages == 2
        await refuses_bad_paging(hd.http, "/api/v1/users", {}, unit_admin)
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
