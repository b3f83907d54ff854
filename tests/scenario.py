"""A small driver for scenario tests: staff of one unit acting on tickets over HTTP."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from conftest import Helpdesk, eventually
from lpse_helpdesk.cli import main

PASSWORD = "rahasia-sekali-123"


class Desk:
    def __init__(self, hd: Helpdesk, tenant: str):
        self.hd, self.tenant, self.tokens = hd, tenant, {}

    async def staff(self, username: str, role: str, tenant: str | None = None) -> str:
        import sys

        stdin = sys.stdin
        sys.stdin = io.StringIO(PASSWORD + "\n")
        try:
            with redirect_stdout(io.StringIO()):
                database = self.hd.settings.database_url
                code = main(["users", "add", "--data-dir", str(self.hd.settings.data_dir),
                             *(["--database", database] if database else []),
                             "--tenant", tenant or self.tenant, "--username", username,
                             "--role", role])
        finally:
            sys.stdin = stdin
        assert code == 0
        r = await self.hd.http.post("/api/v1/auth/token",
                                    json={"username": username, "password": PASSWORD})
        self.tokens[username] = r.json()["access_token"]
        return username

    async def report(self, **body) -> dict:
        r = await self.hd.post_ticket(self.tenant, **body)
        assert r.status_code == 201, r.text
        created = r.json()
        await self.until(created, lambda t: t["category"] is not None, "terklasifikasi")
        return created

    async def act(self, who: str, created: dict, action: str, body: dict, expect: int = 200):
        """A staff action; a 404 while the ticket has not reached the owner yet is retried."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        url = f"/api/v1/tickets/{created['number']}/{action}"

        async def attempt():
            r = await self.hd.http.post(url, json=body, headers=headers)
            return r if r.status_code != 404 or expect == 404 else None

        r = await eventually(attempt, what=f"{action} oleh {who}")
        assert r.status_code == expect, (action, who, r.status_code, r.text)
        return r.json()

    async def reporter(self, created: dict, path: str, body: dict) -> dict:
        r = await self.hd.http.post(f"/api/v1/tickets/{created['number']}/{path}",
                                    params={"token": created["access_token"]}, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    async def view(self, created: dict, who: str | None = None) -> dict:
        if who is None:
            return await self.hd.ticket(created)
        r = await self.hd.http.get(f"/api/v1/tickets/{created['number']}",
                                   headers={"Authorization": f"Bearer {self.tokens[who]}"})
        return r.json()

    async def until(self, created: dict, check, what: str, who: str | None = None) -> dict:
        async def probe():
            ticket = await self.view(created, who)
            return ticket if ticket and "number" in ticket and check(ticket) else None

        return await eventually(probe, what=what)


def types(ticket: dict) -> list[str]:
    return [entry["type"].removeprefix("ticket.") for entry in ticket["timeline"]]
