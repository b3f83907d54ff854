"""Staff accounts, as people meet them: the `users` commands in a subprocess while
the helpdesk runs, the admin page `/staf/pengguna`, and the reporter's timeline with display
names, never usernames. The API, the store and revocation across processes:
`test_staff_accounts.py`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import httpx
from conftest import eventually, make_settings, running_helpdesk
from scenario import PASSWORD, Desk
from webclient import WebClient, text_of

from lpse_helpdesk.platform import natsauth
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.services.desk import users


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def login(hd, username: str, password: str = PASSWORD):
    return await hd.http.post("/api/v1/auth/token",
                              json={"username": username, "password": password})


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
        derived = natsauth.command_url(settings, None)
        assert derived.endswith(url.rsplit(":", 1)[1]) and "helpdesk:" in derived
        off = await cli("disable", "hd.up")
        assert off.returncode == 0 and "ditolak di semua layanan" in off.stdout, off.stderr
