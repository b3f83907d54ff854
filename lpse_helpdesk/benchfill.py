"""The history of `bench --history N`, made in phases in the helpdesk's own process, through
each service's application layer (no HTTP).

Every ticket's life is drawn first (a seeded random draw per ticket, as `plan`): its unit, its
subject, whether staff reply, escalate (and the next tier answers), close, and whether the
reporter sends the SKM survey. Then each step is done for every ticket that has it, one phase
at a time: all the posts, then all the replies, the escalations, the answers, the closes and the
surveys, each call grouped with others into one commit. Between phases the fill waits until every
consumer has caught up, so the next phase finds its tickets in the read models it acts on.

Why the application layer: it is what the HTTP handlers call once a request is read, so the
stores and the stream hold exactly what they hold after reporters and clerks (the same events,
envelopes, sealing, numbers and SLA deadlines; tests/integration/test_bench_fill.py compares),
without the HTTP client and server, which took most of the time on a shared machine. Why
phases: one ticket's life step after step waits for each step to travel through the bus.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import NamedTuple

from .benchreport import say
from .benchstaff import DOCUMENTS, SCORES, SUBJECTS, UNITS

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


async def _in_thread(work, *args, what: str):
    """`work(*args)` in a worker thread, as the HTTP handlers run it; tried again while the
    ticket has not reached the read model it needs or the decision guard's bus is away (the
    404 and 503 a client would retry). Returns None for a conflict (another decision won)."""
    from .platform.store import IntegrityError
    from .refusals import Conflict
    from .workflow.guard import BusUnavailable
    from .workflow.rules import TicketNotFound

    for _ in range(600):
        try:
            return await asyncio.to_thread(work, *args)
        except (TicketNotFound, BusUnavailable):
            await asyncio.sleep(0.05)
        except (Conflict, IntegrityError):
            return None
    raise RuntimeError(f"{what}: tiket tidak sampai / the ticket never arrived")


async def _grouped(store, items: list, name: str, call, window: int = 256) -> int:
    """Each item's `work(*args)` (`call(item)`) on the store's writer thread, `window` at a time
    grouped into few commits (`ServiceStore.grouped`: each in its own savepoint). A ticket not
    yet in the read model the work needs is tried again alone (`_in_thread`). Returns the
    number refused as conflicts."""
    from .platform.store import IntegrityError
    from .refusals import Conflict
    from .workflow.guard import BusUnavailable
    from .workflow.rules import TicketNotFound

    progress, conflicts = _Progress(name, len(items)), 0
    for start in range(0, len(items), window):
        part = [call(item) for item in items[start:start + window]]
        futures = [store.grouped(work, *args) for work, args in part]
        for (work, args), future in zip(part, futures, strict=True):
            try:
                await asyncio.wrap_future(future)
            except (Conflict, IntegrityError):
                conflicts += 1
            except (TicketNotFound, BusUnavailable):
                if await _in_thread(work, *args, what=f"{name} {args[0]}") is None:
                    conflicts += 1
            progress.step()
    return conflicts


async def fill_direct(runtime, nats_url: str, tickets: int) -> dict:
    """The whole history without HTTP, in the helpdesk's own process: the posts as
    `post_direct`, then by phases each staff action through its owning service's `act` and
    the survey through the desk's `submit_survey`, grouped many to a commit (`_grouped`), with
    the bodies decoded from their JSON: what the HTTP handlers call once a request is read and
    its login checked. Every event is still decided, sealed, numbered and stored by the
    services."""
    import msgspec

    from .benchstaff import username
    from .platform.auth import Principal
    from .schemas.api import Close, Escalate, Message, Survey

    def body(kind, value: dict):
        return msgspec.json.decode(msgspec.json.encode(value), type=kind)

    started = time.monotonic()
    made = await post_direct(runtime.service("intake").app, tickets)
    await caught_up(nats_url)
    lives = [plan(i) for i in range(tickets)]
    desk, escalation = runtime.service("desk").app, runtime.service("escalation").app
    conflicts = 0

    def acting(app, action: str, data):
        def call(life: Life):
            staff = Principal(username=username(life.unit), role="admin", tenant=life.unit)
            return app.act, (action, made[life.i][0], data, staff)
        return app.store, call

    def survey(life: Life):
        number, token = made[life.i]
        return desk.submit_survey, (number, token, scores)

    scores = body(Survey, {"scores": SCORES, "comment": "Terima kasih"})
    steps = (
        ("balasan", [x for x in lives if x.reply], acting(
            desk, "reply", body(Message, {"message": "Sedang kami periksa, mohon ditunggu."}))),
        ("eskalasi", [x for x in lives if x.escalate], acting(
            escalation, "escalate", body(Escalate, {"reason": "Perlu tingkat berikutnya."}))),
        ("jawaban", [x for x in lives if x.escalate], acting(
            escalation, "answer", body(Message, {"message": "Sudah diperbaiki di sistem."}))),
        ("penutupan", [x for x in lives if x.close], acting(
            desk, "close", body(Close, {"resolution": "Kendala sudah diselesaikan."}))),
        ("survei", [x for x in lives if x.survey], (desk.store, survey)),
    )
    for name, items, (store, call) in steps:
        conflicts += await _grouped(store, items, name, call)
        await caught_up(nats_url)
    return {"numbers": [(life.unit, made[life.i][0]) for life in lives],
            "seconds": time.monotonic() - started, "conflicts": conflicts}
