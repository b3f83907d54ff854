"""`lpse-helpdesk bench --history N`: a helpdesk with years behind it, then what staff wait for.

The history goes through the real write path, over HTTP, as reporters and staff make it: a
ticket posted to intake in one of the five units, then (decided per ticket by a seeded random
draw) a staff reply, an escalation answered by the next tier, a close, and the reporter's SKM
survey. Most tickets end closed, as in a helpdesk that has run for years. Through the real path
because that is exactly what the stores and the stream hold afterwards; a fast path that wrote
the same events by hand would have to be kept equal to every service's decisions.

The history and the timed reads run in a process of their own (as `benchclient` does): an
HTTP client inside the helpdesk's process takes a large share of its interpreter.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from pathlib import Path

import httpx

from .platform import eventloop

UNITS = ("basarnas", "batam", "batubara", "lampung", "tuban")
PASSWORD = "bench-sandi-rahasia-123"
# Every unit's required documents on the web, except Basarnas's screenshot (posted by API there).
DOCUMENTS = dict.fromkeys(
    ("id_card", "company_npwp", "director_id_card", "request_letter", "company_documents"),
    "terlampir")
SUBJECTS = ("Gagal unggah dokumen penawaran", "Tidak bisa login SPSE", "Jadwal tender berubah",
            "Lupa kata sandi akun penyedia", "Error saat kirim penawaran", "Verifikasi akun")
SCORES = dict(persyaratan=4, prosedur=3, waktu=4, biaya=4, produk=3, kompetensi=4,
              perilaku=4, pengaduan=3, sarana=3)


def username(unit: str) -> str:
    return f"bench.{unit}"


def add_staff(store, standards: dict) -> None:
    """One admin per unit: the role that may reply, escalate, answer and close at every tier."""
    from .services.desk import users

    for unit in UNITS:
        users.add_user(store, standards, unit, username(unit), "admin", PASSWORD)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class _Staff:
    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]):
        self.http, self.tokens = http, tokens

    async def act(self, unit: str, number: str, action: str, body: dict) -> None:
        """A staff action; a 404 while the ticket has not reached the desk yet is retried."""
        headers = {"Authorization": f"Bearer {self.tokens[unit]}"}
        for _ in range(600):
            r = await self.http.post(f"/api/v1/tickets/{number}/{action}", json=body,
                                     headers=headers)
            if r.status_code in (200, 201):
                return
            if r.status_code not in (404, 409, 503):
                raise RuntimeError(f"{action} {number}: {r.status_code} {r.text[:200]}")
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{action} {number}: tiket tidak sampai ke meja staf")


async def _login(http: httpx.AsyncClient) -> dict[str, str]:
    tokens = {}
    for unit in UNITS:
        r = await http.post("/api/v1/auth/token",
                            json={"username": username(unit), "password": PASSWORD})
        r.raise_for_status()
        tokens[unit] = r.json()["access_token"]
    return tokens


async def _one_ticket(http: httpx.AsyncClient, staff: _Staff, i: int) -> tuple[str, str]:
    draw = random.Random(i)
    unit = UNITS[i % len(UNITS)]
    body = {"tenant": unit, "channel": "api" if unit == "basarnas" else "web",
            "reporter": {"name": f"Pelapor {i}", "email": f"pelapor{i % 997}@contoh.co.id",
                         "phone": "081234567890", "kind": "penyedia", "organization": "CV Maju"},
            "subject": draw.choice(SUBJECTS),
            "description": f"Mohon bantuan, kendala nomor {i} sejak pagi di SPSE.",
            "documents": DOCUMENTS}
    r = await http.post("/api/v1/tickets", json=body)
    if r.status_code != 201:
        raise RuntimeError(f"tiket {i}: {r.status_code} {r.text[:200]}")
    created = r.json()
    number = created["number"]
    if draw.random() < 0.8:
        await staff.act(unit, number, "reply", {"message": "Sedang kami periksa, mohon ditunggu."})
    if draw.random() < 0.25:
        await staff.act(unit, number, "escalate", {"reason": "Perlu tingkat berikutnya."})
        await staff.act(unit, number, "answer", {"message": "Sudah diperbaiki di sistem."})
    if draw.random() < 0.85:
        await staff.act(unit, number, "close", {"resolution": "Kendala sudah diselesaikan."})
        if draw.random() < 0.4:
            for _ in range(600):  # the close must reach the reporter's view first
                s = await http.post(f"/api/v1/tickets/{number}/survey",
                                    params={"token": created["access_token"]},
                                    json={"scores": SCORES, "comment": "Terima kasih"})
                if s.status_code == 201:
                    break
                await asyncio.sleep(0.05)
    return unit, number


async def _fill(base: str, tickets: int, concurrency: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        staff = _Staff(http, await _login(http))
        numbers: list[tuple[str, str]] = []
        next_ticket = iter(range(tickets))

        async def worker():  # one ticket's life after the other, `concurrency` lives at once
            for i in next_ticket:
                numbers.append(await _one_ticket(http, staff, i))

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {"numbers": numbers, "seconds": elapsed, "tokens": staff.tokens}


async def _timed_reads(base: str, tokens: dict[str, str], numbers: list[tuple[str, str]],
                       requests: int, concurrency: int) -> dict:
    """p50/p99 of the staff queue, a ticket page (the staff API view of a history ticket) and
    the unit's dashboard figures for the last 30 days, `concurrency` requests at a time."""
    draw = random.Random(7)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    figures = {}
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        def auth(unit):
            return {"Authorization": f"Bearer {tokens[unit]}"}

        def queue(k):
            unit = UNITS[k % len(UNITS)]
            return "/api/v1/queues", {"tenant": unit}, auth(unit)

        def ticket(k):
            unit, number = draw.choice(numbers)
            return f"/api/v1/tickets/{number}", None, auth(unit)

        def dashboard(k):
            unit = UNITS[k % len(UNITS)]
            return f"/api/v1/units/{unit}/figures", None, auth(unit)

        for name, request in (("queue", queue), ("ticket", ticket), ("dashboard", dashboard)):
            times: list[float] = []
            gate = asyncio.Semaphore(concurrency)

            async def one(k):
                url, params, headers = request(k)
                async with gate:
                    at = time.perf_counter()
                    r = await http.get(url, params=params, headers=headers)
                    times.append((time.perf_counter() - at) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"{name} {url}: {r.status_code} {r.text[:200]}")

            await asyncio.gather(*(one(k) for k in range(requests)))
            figures.update({f"{name}_p50_ms": round(statistics.median(times), 1),
                            f"{name}_p99_ms": round(_percentile(times, 99), 1)})
    return figures


def history_main(base: str, tickets: int, concurrency: int, results) -> None:
    """In a spawned process: fill the history; put (figures, sample of numbers, tokens)."""
    try:
        done = eventloop.run(_fill(base, tickets, concurrency))
        results.put(done)
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        results.put(RuntimeError(f"riwayat gagal: {exc!r}"))


def reads_main(base: str, tokens: dict, numbers: list, requests: int, concurrency: int,
               results) -> None:
    try:
        results.put(eventloop.run(_timed_reads(base, tokens, numbers, requests, concurrency)))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        results.put(RuntimeError(f"pembacaan gagal: {exc!r}"))


def folder_bytes(*folders: Path) -> int:
    """Bytes the files under `folders` take on disk (allocated blocks, as `du`)."""
    total = 0
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                if path.is_file():
                    total += path.stat().st_blocks * 512
            except OSError:  # a file removed while walking (a compacted segment)
                continue
    return total


def rss_of(pid: int) -> float:
    """A running process's resident memory now (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _DropMail:
    """aiosmtpd handler: the history's mails are taken and dropped (what a mail server does
    for the bench), so notify works them off as it would in production."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        return "250 OK"


async def _in_process(target, *args):
    """Run `target(*args, results)` in a spawned process; its result, or raise its error."""
    import multiprocessing
    import queue

    context = multiprocessing.get_context("spawn")  # no fork of a running event loop
    results = context.Queue()
    child = context.Process(target=target, args=(*args, results))
    child.start()

    def wait():
        while True:
            try:
                return results.get(timeout=1.0)
            except queue.Empty:
                if not child.is_alive():
                    return RuntimeError(f"proses bench berhenti (kode {child.exitcode})")

    outcome = await asyncio.to_thread(wait)
    await asyncio.to_thread(child.join, 10)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


async def drained(nats_url: str, timeout: float) -> bool:
    """Wait until every durable consumer has worked through its backlog."""
    import nats

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = await js.consumers_info("TICKETS")
            if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                return True
            await asyncio.sleep(0.2)
        return False
    finally:
        await nc.close()


async def _mails_sent(store, timeout: float) -> int:
    """Wait until notify has no mail left to send; the number still waiting at the end."""
    sql = f"SELECT COUNT(*) FROM {store.prefix}_mails WHERE status IN ('pending', 'delivered')"
    deadline = time.monotonic() + timeout
    while True:
        waiting = (await asyncio.to_thread(store.query, sql))[0][0]
        if not waiting or time.monotonic() > deadline:
            return waiting
        await asyncio.sleep(0.5)


class History:
    """The filled history: its figures, and what the timed reads need (tickets, tokens)."""

    def __init__(self, figures: dict, numbers: list, tokens: dict):
        self.figures, self.numbers, self.tokens = figures, numbers, tokens


async def fill(runtime, settings, tickets: int, nats_dir: Path, concurrency: int = 64) -> History:
    """Fill `tickets` of history into the running helpdesk and wait until every consumer has
    it; disk bytes per ticket are the stores' and the stream's growth over the history."""
    from urllib.parse import urlparse

    from aiosmtpd.controller import Controller

    await asyncio.to_thread(add_staff, runtime.service("desk").store, runtime.standards)
    before = await asyncio.to_thread(folder_bytes, settings.data_dir, nats_dir)
    base = f"http://{settings.http_host}:{settings.http_port}"
    sink = Controller(_DropMail(), hostname="127.0.0.1", port=urlparse(settings.smtp_url).port)
    sink.start()
    try:
        started = time.monotonic()
        done = await _in_process(history_main, base, tickets, concurrency)
        caught_up = await drained(settings.nats_url, timeout=600)
        # The history's mails too: a backlog left for the load would delay its receipts.
        mails_left = await _mails_sent(runtime.service("notify").store, timeout=600)
        elapsed = time.monotonic() - started
    finally:
        sink.stop()
    after = await asyncio.to_thread(folder_bytes, settings.data_dir, nats_dir)
    stream = await asyncio.to_thread(folder_bytes, nats_dir)
    figures = {"history_tickets": tickets, "history_fill_s": round(elapsed, 1),
               "history_posts_s": round(done["seconds"], 1), "history_caught_up": caught_up,
               "history_mails_waiting": mails_left,
               "disk_bytes_per_ticket": round((after - before) / tickets),
               "disk_bytes_total": after, "disk_stream_bytes": stream}
    return History(figures, done["numbers"], done["tokens"])


async def timed_reads(settings, history: History, requests: int = 300,
                      concurrency: int = 8) -> dict:
    base = f"http://{settings.http_host}:{settings.http_port}"
    return await _in_process(reads_main, base, history.tokens, history.numbers, requests,
                             concurrency)
