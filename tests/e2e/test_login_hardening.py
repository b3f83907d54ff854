"""Login under attack, on SQLite and PostgreSQL: the lock-out holds exactly
under a parallel flood, an unknown username costs one check like a known one, and password
checks run in a bounded pool of their own while the rest of the helpdesk answers."""

from __future__ import annotations

import asyncio
import threading
import time

from argon2 import extract_parameters
from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform import auth
from lpse_helpdesk.services.desk import http as desk_http
from lpse_helpdesk.services.desk import users

PASSWORD = "rahasia-sekali-123"


class Checks:
    """Wraps the password check the desk calls: counts calls, remembers the hashes, and records
    how many run at once (`peak`). `delay` holds each check, so that a flood is in flight."""

    def __init__(self, delay: float = 0.0):
        self.real, self.delay = users.password_matches, delay
        self.hashes: list[str] = []
        self.active = self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.hashes.append(password_hash)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            return self.real(password_hash, password)
        finally:
            with self._lock:
                self.active -= 1


def add_user(hd, username: str, tenant: str = "tuban") -> None:
    desk = hd.runtime.service("desk")
    users.add_user(desk.store, hd.runtime.standards, tenant, username, "helpdesk", PASSWORD)


async def login(hd, username: str, password: str = PASSWORD):
    return await hd.http.post("/api/v1/auth/token",
                              json={"username": username, "password": password})


async def test_parallel_guesses_check_at_most_the_limit(tmp_path, nats_server, database_url,
                                                        monkeypatch):
    # A pool wide enough to let every guess reach the store at once: the count alone must hold.
    monkeypatch.setattr(desk_http, "LOGIN_POOL", auth.PasswordPool(workers=16, waiting=200))
    checks = Checks(delay=0.05)
    monkeypatch.setattr(users, "password_matches", checks)
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        add_user(hd, "hd.tbn")
        answers = await asyncio.gather(*(login(hd, "hd.tbn", f"tebakan-{i}") for i in range(100)))
        statuses = [a.status_code for a in answers]
        assert len(checks.hashes) == users.MAX_FAILURES, statuses
        assert statuses.count(401) == users.MAX_FAILURES
        assert statuses.count(429) == 100 - users.MAX_FAILURES
        assert all("terkunci" in a.json()["detail"] for a in answers if a.status_code == 429)

        right = await login(hd, "hd.tbn")  # the right password, while locked: not even checked
        assert right.status_code == 429 and "terkunci" in right.json()["detail"]
        assert len(checks.hashes) == users.MAX_FAILURES


async def test_unknown_user_costs_one_check_like_a_known_one(tmp_path, nats_server, database_url,
                                                            monkeypatch):
    checks = Checks()
    monkeypatch.setattr(users, "password_matches", checks)
    hashed: list[str] = []
    real_hash = users.hash_password
    monkeypatch.setattr(users, "hash_password", lambda p: hashed.append(p) or real_hash(p))
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        add_user(hd, "hd.tbn")
        hashed.clear()
        known = await login(hd, "hd.tbn", "salah-sekali")
        unknown = await login(hd, "tidak.ada", "salah-sekali")
        assert known.status_code == unknown.status_code == 401
        assert known.json()["detail"] == unknown.json()["detail"]
        # One check each, no hash made on the way, and the same argon2 cost for both.
        assert len(checks.hashes) == 2 and hashed == []
        stored, dummy = checks.hashes
        assert dummy == auth.dummy_hash() and stored != dummy
        assert extract_parameters(stored) == extract_parameters(dummy)
        assert (await login(hd, "hd.tbn")).status_code == 200


async def test_a_flood_of_bogus_logins_stays_in_its_pool(tmp_path, nats_server, database_url,
                                                        monkeypatch):
    checks = Checks(delay=0.3)
    monkeypatch.setattr(users, "password_matches", checks)
    pool = desk_http.LOGIN_POOL
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        add_user(hd, "hd.tbn")
        flood = [asyncio.create_task(login(hd, f"palsu.{i}", "salah")) for i in range(32)]
        await eventually(lambda: checks.active, what="percobaan palsu sedang diperiksa")
        health = await hd.http.get("/health")
        assert health.status_code == 200
        assert not all(task.done() for task in flood)  # answered while the flood was in flight
        answers = await asyncio.gather(*flood)
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {401, 429}
        # Beyond the workers and the waiting line the pool refuses at once, checking nothing.
        admitted = pool.workers + pool.waiting
        assert statuses.count(401) == len(checks.hashes) <= admitted
        assert statuses.count(429) >= 32 - admitted
        assert all("coba lagi sebentar" in a.json()["detail"]
                   for a in answers if a.status_code == 429)
        assert checks.peak <= pool.workers
        assert (await login(hd, "hd.tbn")).status_code == 200
