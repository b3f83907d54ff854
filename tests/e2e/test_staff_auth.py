"""Staff accounts: `users add`, login, role and unit checks, lock-out; reclassification over HTTP."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.cli import main
from lpse_helpdesk.services.desk import users

PASSWORD = "rahasia-sekali-123"


def add_user(settings, monkeypatch, tenant, username, role, password=PASSWORD) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["users", "add", "--data-dir", str(settings.data_dir), "--tenant", tenant,
                 "--username", username, "--role", role])


async def login(hd, username, password=PASSWORD):
    return await hd.http.post("/api/v1/auth/token", json={"username": username, "password": password})


async def test_staff_login_unit_and_role_checks(tmp_path, nats_server, monkeypatch, capsys):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        assert add_user(settings, monkeypatch, "lampung", "koord.lpg", "koordinator") == 0
        assert add_user(settings, monkeypatch, "batam", "hd.btm", "helpdesk") == 0
        assert add_user(settings, monkeypatch, "lampung", "kepala.lpg", "kepala_unit") == 0
        assert add_user(settings, monkeypatch, "lampung", "pendek", "helpdesk", "abc") == 1
        assert add_user(settings, monkeypatch, "mars", "x", "helpdesk") == 1
        assert add_user(settings, monkeypatch, "lampung", "koord.lpg", "helpdesk") == 1  # exists
        err = capsys.readouterr().err
        assert "minimal 10" in err and "`mars` tidak dikenal" in err and "sudah ada" in err

        created = (await hd.post_ticket("lampung")).json()
        await eventually(lambda: hd.ticket(created), what="tiket tampil")
        number = created["number"]

        koord = (await login(hd, "koord.lpg")).json()["access_token"]
        batam = (await login(hd, "hd.btm")).json()["access_token"]
        head = (await login(hd, "kepala.lpg")).json()["access_token"]

        view = await hd.http.get(f"/api/v1/tickets/{number}",
                                 headers={"Authorization": f"Bearer {koord}"})
        assert view.status_code == 200 and view.json()["number"] == number
        other = await hd.http.get(f"/api/v1/tickets/{number}",
                                  headers={"Authorization": f"Bearer {batam}"})
        assert other.status_code == 403 and "unit lain" in other.json()["detail"]
        forged = await hd.http.get(f"/api/v1/tickets/{number}",
                                   headers={"Authorization": f"Bearer {koord[:-2]}xx"})
        assert forged.status_code == 401

        body = {"category": "permasalahan", "reason": "akun terkunci berulang kali"}
        url = f"/api/v1/tickets/{number}/classify"
        assert (await hd.http.post(url, json=body)).status_code == 401
        r = await hd.http.post(url, json=body, headers={"Authorization": f"Bearer {batam}"})
        assert r.status_code == 403 and "unit `lampung`" in r.json()["detail"]
        r = await hd.http.post(url, json=body, headers={"Authorization": f"Bearer {head}"})
        assert r.status_code == 403 and "kepala_unit" in r.json()["detail"]
        r = await hd.http.post(url, json={"category": "darurat", "reason": "x"},
                               headers={"Authorization": f"Bearer {koord}"})
        assert r.status_code == 400 and r.json()["field"] == "category"
        r = await hd.http.post(url, json=body, headers={"Authorization": f"Bearer {koord}"})
        assert r.status_code == 200, r.text
        assert r.json()["category"] == "permasalahan" and r.json()["resolution_due"]

        async def reclassified():
            t = await hd.ticket(created)
            return t if t and t["category"] == "permasalahan" and len(t["timeline"]) == 3 else None

        ticket = await eventually(reclassified, what="klasifikasi ulang tampil")
        event = ticket["timeline"][-1]["event"]
        # The reporter's view (`hd.ticket`) names staff by display name, never by username.
        assert event["actor"] == {"id": "Koordinator Helpdesk", "role": "koordinator"}
        assert "reason" not in event  # staff write it for staff (the reporter sees the category)
        staff = await hd.http.get(f"/api/v1/tickets/{number}",
                                  headers={"Authorization": f"Bearer {koord}"})
        assert staff.json()["timeline"][-1]["event"]["reason"] == "akun terkunci berulang kali"


async def test_login_locks_after_five_failures(tmp_path, nats_server, monkeypatch):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        assert add_user(settings, monkeypatch, "tuban", "hd.tbn", "helpdesk") == 0
        assert (await login(hd, "hd.tbn", "salah")).status_code == 401
        assert (await login(hd, "tidak.ada", "salah")).status_code == 401
        assert (await login(hd, "hd.tbn")).status_code == 200  # a success resets the count
        for _ in range(5):
            assert (await login(hd, "hd.tbn", "salah")).status_code == 401
        locked = await login(hd, "hd.tbn")  # even the right password, while locked
        assert locked.status_code == 429 and "terkunci" in locked.json()["detail"]


async def test_a_lock_expires_and_the_count_starts_again(tmp_path, nats_server, monkeypatch):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        assert add_user(settings, monkeypatch, "tuban", "hd.tbn", "helpdesk") == 0
        store = hd.runtime.service("desk").store
        start = datetime.now(UTC)

        def attempt(password, moment):
            return users.authenticate(store, "hd.tbn", password, moment)

        def fail_until_locked(moment):
            for _ in range(users.MAX_FAILURES):
                with pytest.raises(users.LoginFailed):
                    attempt("salah", moment)
            with pytest.raises(users.AccountLocked, match="terkunci sampai"):
                attempt(PASSWORD, moment)

        fail_until_locked(start)
        with pytest.raises(users.AccountLocked):
            attempt(PASSWORD, start + users.LOCK_FOR - timedelta(seconds=1))
        later = start + users.LOCK_FOR + timedelta(seconds=1)
        fail_until_locked(later)  # a full new count after the lock, not a single guess
        again = later + users.LOCK_FOR + timedelta(seconds=1)
        assert attempt(PASSWORD, again) == ("tuban", "helpdesk")
        for _ in range(users.MAX_FAILURES - 1):  # a success resets the count
            with pytest.raises(users.LoginFailed):
                attempt("salah", again)
        assert attempt(PASSWORD, again) == ("tuban", "helpdesk")
