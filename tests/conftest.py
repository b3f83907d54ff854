"""Shared fixtures: a real nats-server (from the wheel) on a free port, a real PostgreSQL schema,
and a running helpdesk (real HTTP on a free port) built from the same Runtime as `up`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
import uuid
from urllib.parse import urlsplit
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lpse_helpdesk.platform.natsserver import EmbeddedNats, free_port
from lpse_helpdesk.platform.runtime import Runtime
from lpse_helpdesk.services import all_definitions, definition
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards

# A real 1x1 PNG: the screenshot a unit's standard may ask for.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
ALL_DOCUMENTS = ("id_card", "company_npwp", "director_id_card", "request_letter",
                 "company_documents", "screenshot")
# The server the PostgreSQL tests use. Each run creates a database of its own there and drops it
# at the end, so runs on one server (and whatever else uses its `test` database) never meet.
PG_SERVER = os.environ.get("HELPDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True, scope="session")
def _one_key_store():
    """One in-memory key store for the whole session (platform/keystore.py): its tests run many
    helpdesks in one process and pass events between them, and unit tests have no data folder.
    Tests of the key files unpin it (tests/e2e/test_personal_sealing.py)."""
    from lpse_helpdesk.platform.keystore import KeyStore
    from lpse_helpdesk.schemas import sealing

    sealing.pin_keystore(KeyStore.in_memory())
    yield
    sealing.pin_keystore(None)


@pytest.fixture
def sink():
    """A real SMTP server that keeps what the helpdesk sends (`smtp_url=sink.url`)."""
    from mailsink import MailSink

    s = MailSink()
    s.start()
    yield s
    s.stop()


@pytest.fixture
def nats_server(tmp_path: Path):
    server = EmbeddedNats(free_port(), tmp_path / "nats")
    server.start()
    yield server
    server.stop()


def _postgres_or_skip() -> None:
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, connect_timeout=3):
            return
    except Exception as exc:  # noqa: BLE001
        reason = f"PostgreSQL tidak menjawab di {PG_SERVER}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: tes PostgreSQL wajib jalan)")
        print(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_database():
    """A database of this test run's own, dropped when the run ends."""
    _postgres_or_skip()
    import psycopg

    name = f"lpse_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(PG_SERVER)._replace(path=f"/{name}", query="").geturl()
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database):
    """A fresh schema in this run's database, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{pg_database}?schema={schema}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def standards():
    return load_standards()


# Every test client comes from 127.0.0.1: the per-client rate limits are raised out of the way,
# except where a test sets its own (tests/e2e/test_rate_limits.py).
UNLIMITED = {**{f"rate_{door}_per_minute": 1_000_000
                for door in ("tickets", "uploads", "logins", "votes")},
             "rate_mails_per_sender_per_hour": 1_000_000,
             "upload_bytes_per_client_per_hour": 10**12}
UNLIMITED_ENV = {f"HELPDESK_{name.upper()}": str(value) for name, value in UNLIMITED.items()}


def make_settings(tmp_path: Path, nats_url: str, database_url: str = "", **kw) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", nats_url=nats_url, database_url=database_url,
        http_port=free_port(), retry_base_delay=0.05, retry_max_delay=0.2, **{**UNLIMITED, **kw},
    )


@dataclass
class Helpdesk:
    runtime: Runtime
    http: httpx.AsyncClient

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def post_ticket(self, tenant: str = "batam", **overrides) -> httpx.Response:
        body = {
            "tenant": tenant, "channel": "web",
            "reporter": {"name": "Budi Santoso", "email": "budi@contoh.co.id",
                         "phone": "081234567890", "kind": "penyedia", "organization": "CV Maju"},
            "subject": "Tidak bisa login SPSE",
            "description": "Sejak pagi muncul error saat login ke SPSE, mohon bantuannya.",
            # Enough for every shipped standard's requirements (Lampung asks the most).
            "documents": dict.fromkeys(ALL_DOCUMENTS, "terlampir"),
        }
        body.update(overrides)
        standard = self.runtime.standards.get(body["tenant"])
        if (standard and body.get("channel") in standard.channels and not body.get("attachments")
                and "screenshot" in standard.required_fields(body["channel"])):
            # Only an image file meets a screenshot requirement (Basarnas on the web).
            upload = await self.http.post(
                "/api/v1/attachments", content=PNG, headers={"content-type": "image/png"},
                params={"tenant": body["tenant"], "filename": "layar.png"})
            body["attachments"] = [upload.json()["id"]] if upload.status_code == 201 else []
        return await self.http.post("/api/v1/tickets", json=body)

    async def ticket(self, created: dict) -> dict | None:
        r = await self.http.get(
            f"/api/v1/tickets/{created['number']}", params={"token": created["access_token"]}
        )
        return r.json() if r.status_code == 200 else None


@contextlib.asynccontextmanager
async def running_helpdesk(settings: Settings, services=None, standards=None, wait_nats=True,
                           **runtime_options):
    defs = all_definitions() if services is None else [definition(s) for s in services]
    runtime = Runtime(settings, defs, standards=standards if standards is not None else load_standards(),
                      **runtime_options)
    async with runtime:
        if wait_nats:
            await asyncio.wait_for(runtime.nats_ready.wait(), 20)
        base = f"http://{settings.http_host}:{settings.http_port}"
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            yield Helpdesk(runtime, http)


async def eventually(check, timeout: float = 15.0, interval: float = 0.05, what: str = ""):
    """Await until `check()` (sync or async) returns a truthy value; return it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"tidak terjadi dalam {timeout}s: {what} (terakhir: {last!r})")
