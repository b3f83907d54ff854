"""The history of `bench --history N`, made in phases through the real write path (HTTP).

Every ticket's life is drawn first (a seeded random draw per ticket, as `plan`): its unit, its
subject, whether staff reply, escalate (and the next tier answers), close, and whether the
reporter sends the SKM survey. Then each step is done for every ticket that has it, as one
phase at a time, `concurrency` requests at once: all the posts, then all the replies, the
escalations, the answers, the closes and the surveys. Between phases the fill waits until every
consumer has caught up, so the next phase finds its tickets in the read models it acts on.

Why phases: a ticket's life one step after the other waits for each step to travel through
the bus before the next (about 17 tickets/s at 32 lives at once, docs/performance.md); by
phases the fill is bound by what the helpdesk serves, not by that latency. Through HTTP
because that is exactly what the stores and the stream hold afterwards: the same events,
envelopes, sealing, numbers and SLA deadlines as any reporter's and clerk's.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import NamedTuple

import httpx

from .benchreport import say
from .benchstaff import DOCUMENTS, SCORES, SUBJECTS, UNITS, _login, _send, _Staff
from .platform import eventloop

PROGRESS_EVERY = 5_000  # tickets (or steps) between two progress lines on stderr


class Life(NamedTuple):
    """One history ticket's life, drawn before it is made."""

    i: int
    unit: str
    subject: str
    reply: bool
    escalate: bool
    close: bool
    survey: bool


def plan(i: int) -> Life:
    """Ticket `i`'s life: the same draw for the same `i`, whichever way it is made."""
    draw = random.Random(i)
    subject = draw.choice(SUBJECTS)
    reply = draw.random() < 0.8
    escalate = draw.random() < 0.25
    close = draw.random() < 0.85
    survey = close and draw.random() < 0.4
    return Life(i, UNITS[i % len(UNITS)], subject, reply, escalate, close, survey)


def ticket_body(life: Life) -> dict:
    unit, i = life.unit, life.i
    return {"tenant": unit, "channel": "api" if unit == "basarnas" else "web",
            "reporter": {"name": f"Pelapor {i}", "email": f"pelapor{i % 997}@contoh.co.id",
                         "phone": "081234567890", "kind": "penyedia", "organization": "CV Maju"},
            "subject": life.subject,
            "description": f"Mohon bantuan, kendala nomor {i} sejak pagi di SPSE.",
            "documents": DOCUMENTS}


async def caught_up(nats_url: str, timeout: float = 600) -> bool:
    """Every durable consumer has worked off its backlog, and the stream has stopped growing
    (an outbox relay may still hold events a consumer will get next)."""
    import nats

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline, last, quiet = time.monotonic() + timeout, -1, 0
        while time.monotonic() < deadline:
            infos = await js.consumers_info("TICKETS")
            messages = (await js.stream_info("TICKETS")).state.messages
            idle = all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos)
            quiet = quiet + 1 if idle and messages == last else 0
            if quiet >= 3:  # three looks 0.2 s apart with nothing new
                return True
            last = messages
            await asyncio.sleep(0.2)
        return False
    finally:
        await nc.close()


class _Progress:
    def __init__(self, name: str, total: int):
        self.name, self.total, self.done = name, total, 0
        self.started = time.monotonic()

    def step(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0 or self.done == self.total:
            elapsed = time.monotonic() - self.started
            rate = self.done / elapsed if elapsed else 0.0
            eta = (self.total - self.done) / rate if rate else 0.0
            say(f"bench: riwayat {self.name} {self.done}/{self.total}, {rate:.0f}/detik,"
                f" sisa ~{eta:.0f} s / history {self.name} {self.done}/{self.total},"
                f" {rate:.0f}/s, ETA {eta:.0f} s")


async def _each(items: list, concurrency: int, name: str, work) -> None:
    if not items:
        return
    progress = _Progress(name, len(items))
    source = iter(items)

    async def worker():
        for item in source:
            await work(item)
            progress.step()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def post_direct(intake, tickets: int, window: int = 256) -> dict[int, tuple[str, str]]:
    """The posts phase without HTTP, in the helpdesk's own process: each ticket's body decoded
    into `NewTicket` from its JSON and submitted to intake with `store.grouped` (many to a
    commit), exactly as intake's `POST /api/v1/tickets` does once the request is read. The
    HTTP request and answer were most of a post's cost on a shared machine."""
    import msgspec

    from .schemas.api import NewTicket

    made: dict[int, tuple[str, str]] = {}
    progress = _Progress("kiriman langsung", tickets)
    for start in range(0, tickets, window):
        lives = [plan(i) for i in range(start, min(tickets, start + window))]
        futures = [intake.store.grouped(intake.submit, msgspec.json.decode(
            msgspec.json.encode(ticket_body(life)), type=NewTicket)) for life in lives]
        for life, future in zip(lives, futures, strict=True):
            created = (await asyncio.wrap_future(future)).created
            made[life.i] = (created.number, created.access_token)
            progress.step()
    return made


async def fill(base: str, nats_url: str, tickets: int, concurrency: int,
               made: dict[int, tuple[str, str]] | None = None) -> dict:
    """The history's phases over HTTP; with `made` (`post_direct`'s tickets) from the replies
    on."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    lives = [plan(i) for i in range(tickets)]
    posted = made is not None
    made = dict(made or {})  # i -> (number, reporter token)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        staff = _Staff(http, await _login(http))
        started = time.monotonic()

        async def post(life: Life) -> None:
            r = await _send(http, "POST", "/api/v1/tickets", json=ticket_body(life))
            if r.status_code != 201:
                raise RuntimeError(f"tiket {life.i}: {r.status_code} {r.text[:200]}")
            made[life.i] = (r.json()["number"], r.json()["access_token"])

        def acting(action: str, body: dict):
            async def act(life: Life) -> None:
                await staff.act(life.unit, made[life.i][0], action, body)
            return act

        async def survey(life: Life) -> None:
            number, token = made[life.i]
            for _ in range(600):  # the close must reach the reporter's view first
                s = await _send(http, "POST", f"/api/v1/tickets/{number}/survey",
                                params={"token": token},
                                json={"scores": SCORES, "comment": "Terima kasih"})
                if s.status_code == 201:
                    return
                await asyncio.sleep(0.05)
            raise RuntimeError(f"survei {number}: {s.status_code} {s.text[:200]}")

        steps = (
            ("kiriman", [] if posted else lives, post),
            ("balasan", [x for x in lives if x.reply],
             acting("reply", {"message": "Sedang kami periksa, mohon ditunggu."})),
            ("eskalasi", [x for x in lives if x.escalate],
             acting("escalate", {"reason": "Perlu tingkat berikutnya."})),
            ("jawaban", [x for x in lives if x.escalate],
             acting("answer", {"message": "Sudah diperbaiki di sistem."})),
            ("penutupan", [x for x in lives if x.close],
             acting("close", {"resolution": "Kendala sudah diselesaikan."})),
            ("survei", [x for x in lives if x.survey], survey),
        )
        for name, items, work in steps:
            await _each(items, concurrency, name, work)
            await caught_up(nats_url)
        elapsed = time.monotonic() - started
    numbers = [(life.unit, made[life.i][0]) for life in lives]
    return {"numbers": numbers, "seconds": elapsed, "tokens": staff.tokens,
            "conflicts": staff.conflicts}


def history_main(base: str, nats_url: str, tickets: int, concurrency: int, made: dict | None,
                 results) -> None:
    """In a spawned process: fill the history; put (figures, numbers, tokens)."""
    try:
        results.put(eventloop.run(fill(base, nats_url, tickets, concurrency, made)))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        results.put(RuntimeError(f"riwayat gagal: {exc!r}"))
