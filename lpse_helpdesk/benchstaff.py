"""The reporters and staff of `bench --history`, in a process of their own (as `benchclient`
does: an HTTP client inside the helpdesk's process takes a large share of its interpreter).

The history itself is made by `benchfill` (by phases, through the real write path); here are
the staff accounts, their requests, and the timed reads after the load.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time

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
# Staff searches (every word must match) and FAQ searches, as people type them.
SEARCHES = ("dokumen penawaran", "login", "kata sandi", "pelapor 12", "maju", "kendala pagi")
FAQ_SEARCHES = ("kata sandi", "dokumen penawaran", "akun penyedia", "jadwal tender")
FAQ_UNITS = ("basarnas", "batubara")  # `[faq] publish = true` in their standards
# The reporter of the visibility probes: not the load's, whose receipts it counts.
PROBE_REPORTER = "pemantau@contoh.co.id"
PROBE_UNIT = "batubara"  # benchclient's BODY: where the probes' tickets go
SCORES = dict(persyaratan=4, prosedur=3, waktu=4, biaya=4, produk=3, kompetensi=4,
              perilaku=4, pengaduan=3, sarana=3)


def username(unit: str) -> str:
    return f"bench.{unit}"


def add_staff(store, standards: dict) -> None:
    """One admin per unit: the role that may reply, escalate, answer and close at every tier."""
    from .services.desk import users

    for unit in UNITS:
        users.add_user(store, standards, unit, username(unit), "admin", PASSWORD)


def percentile(values: list[float], p: float) -> float:
    """The value at `p` % of `values` (nearest rank; the bench's p50/p95/p99)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def _send(http: httpx.AsyncClient, method: str, url: str, **options) -> httpx.Response:
    """One request, sent again if the connection broke under it (the server may close a
    keep-alive connection just as it is reused). Whether a broken one was carried out cannot
    be known: an action sent twice is refused as a conflict, which `_Staff.act` accepts then."""
    for attempt in range(5):
        try:
            return await http.request(method, url, **options)
        except httpx.TransportError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


class _Staff:
    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]):
        self.http, self.tokens = http, tokens
        self.conflicts = 0  # actions refused as conflicts (reported: none are expected)

    async def act(self, unit: str, number: str, action: str, body: dict) -> None:
        """A staff action; a 404 while the ticket has not reached the desk yet is retried."""
        headers = {"Authorization": f"Bearer {self.tokens[unit]}"}
        for _ in range(600):
            r = await _send(self.http, "POST", f"/api/v1/tickets/{number}/{action}", json=body,
                            headers=headers)
            if r.status_code in (200, 201):
                return
            if r.status_code == 409:  # sent twice (`_send`), or the ticket moved on: go on
                self.conflicts += 1
                return
            if r.status_code not in (404, 503):
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


async def _timed_reads(base: str, tokens: dict[str, str], numbers: list[tuple[str, str]],
                       requests: int, concurrency: int, probes: int, smtp_port: int) -> dict:
    """p50/p99 of the staff queue, a ticket page (the staff API view of a history ticket), the
    staff's ticket search, the unit's dashboard figures for the last 30 days and the public FAQ
    search, `concurrency` requests at a time; meanwhile `_probe` posts tickets and times what
    their reporter sees."""
    draw = random.Random(7)
    # A connection for each read at once and two for each probe (its view and the queue).
    limits = httpx.Limits(max_connections=concurrency + 2 * PROBES_AT_ONCE,
                          max_keepalive_connections=concurrency + 2 * PROBES_AT_ONCE)
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

        def search(k):
            unit = UNITS[k % len(UNITS)]
            return "/api/v1/tickets", {"tenant": unit, "q": SEARCHES[k % len(SEARCHES)]}, auth(unit)

        def dashboard(k):
            unit = UNITS[k % len(UNITS)]
            return f"/api/v1/units/{unit}/figures", None, auth(unit)

        def faq(k):  # public: no login; the units whose standard publishes a FAQ
            unit = FAQ_UNITS[k % len(FAQ_UNITS)]
            return "/api/v1/faq", {"tenant": unit, "q": FAQ_SEARCHES[k % len(FAQ_SEARCHES)]}, None

        async def timed(name, request) -> None:
            times: list[float] = []
            gate = asyncio.Semaphore(concurrency)

            async def one(k):
                url, params, headers = request(k)
                async with gate:
                    at = time.perf_counter()
                    r = await _send(http, "GET", url, params=params, headers=headers)
                    times.append((time.perf_counter() - at) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"{name} {url}: {r.status_code} {r.text[:200]}")

            await asyncio.gather(*(one(k) for k in range(requests)))
            figures.update(_spread(name, times))

        async def reads():
            for name, request in (("queue", queue), ("ticket", ticket), ("search", search),
                                  ("dashboard", dashboard), ("faq", faq)):
                await timed(name, request)

        _, probed = await asyncio.gather(reads(), _probe(http, probes, smtp_port,
                                                         auth(PROBE_UNIT)))
    figures.update(probed)
    return figures


PROBES_AT_ONCE = 4
POLL_S = 0.01  # how often a probe asks the reporter's view: the resolution of visible_*


def _spread(name: str, times: list[float]) -> dict:
    if not times:
        return {}
    return {f"{name}_p50_ms": round(statistics.median(times), 1),
            f"{name}_p99_ms": round(percentile(times, 99), 1)}


async def _probe(http: httpx.AsyncClient, probes: int, smtp_port: int, staff: dict) -> dict:
    """`probes` tickets posted through intake's API (`PROBES_AT_ONCE` at a time) while the
    reads run: for each, the time from the start of its POST until the reporter's view
    (`GET /api/v1/tickets/{number}?token=`, asked every `POLL_S`) shows its category, until
    the staff queue's newest page (`staff`'s login) lists it with its category, and until its
    receipt mail reaches a real SMTP listener."""
    from .benchclient import BODY, ReceiptSink

    body = {**BODY, "reporter": {"name": "Pemantau", "email": PROBE_REPORTER}}
    visible: list[float] = []
    queued: list[float] = []
    newest = {"tenant": PROBE_UNIT, "sort": "received_at", "order": "desc", "limit": 20}
    sent: dict[str, float] = {}
    next_probe = iter(range(probes))
    with ReceiptSink(smtp_port, PROBE_REPORTER) as sink:
        async def worker():
            for _ in next_probe:
                at = time.monotonic()
                r = await _send(http, "POST", "/api/v1/tickets", json=body)
                if r.status_code != 201:
                    raise RuntimeError(f"tiket pemantau: {r.status_code} {r.text[:200]}")
                created = r.json()
                sent[number := created["number"]] = at
                view = (f"/api/v1/tickets/{number}", {"token": created["access_token"]}, None)
                queue = ("/api/v1/queues", newest, staff)
                await asyncio.gather(  # each asked every POLL_S, side by side
                    until_shown(at, view, visible, lambda j: bool(j.get("category"))),
                    until_shown(at, queue, queued, lambda j: any(
                        i["number"] == number and i.get("category") for i in j)))

        async def until_shown(at: float, request: tuple, times: list, shown) -> None:
            url, params, headers = request
            while time.monotonic() - at < 120:
                r = await _send(http, "GET", url, params=params, headers=headers)
                if r.status_code == 200 and shown(r.json()):
                    times.append((time.monotonic() - at) * 1000)
                    return
                await asyncio.sleep(POLL_S)
            raise RuntimeError(f"{url}: tiket pemantau tidak tampil dalam 120 detik")

        await asyncio.gather(*(worker() for _ in range(PROBES_AT_ONCE)))
        deadline = time.monotonic() + 120
        while len(sent.keys() & sink.snapshot()[0].keys()) < len(sent) and \
                time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        arrived, _ = sink.snapshot()
    receipts = [(arrived[n] - at) * 1000 for n, at in sent.items() if n in arrived]
    return {"visible_tickets": len(visible), "visible_receipts": len(receipts),
            **_spread("visible", visible), **_spread("visible_queue", queued),
            **_spread("visible_receipt", receipts)}


def reads_main(base: str, tokens: dict, numbers: list, requests: int, concurrency: int,
               probes: int, smtp_port: int, results) -> None:
    try:
        results.put(eventloop.run(_timed_reads(base, tokens, numbers, requests, concurrency,
                                               probes, smtp_port)))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        results.put(RuntimeError(f"pembacaan gagal: {exc!r}"))
