"""`bench --history N`'s fast fill: N tickets of history made before the helpdesk starts, on its
stores, through each service's application layer and consumers run offline (`benchbulk`).

Each ticket's life is `benchfill.plan(i)` (the same draw as the in-process fill), placed in
time: a closed ticket somewhere in the last `SPAN_DAYS` (ticket i at the i-th fraction of the
span), its steps minutes to hours apart; a ticket still open in the last hour or two (an open
ticket of last year would be far past every SLA deadline and escalate the moment the helpdesk
starts). All the steps of all tickets are then taken in order of time, a window at a time (at
most one step per ticket in a window), each window's steps grouped per service into one
transaction, with the clock at the step's time; after each window the bus is played until
quiet (the consumers' decisions, notify's mails delivered). So the stores hold what they would
hold after these years, numbered year by year, with SLA deadlines from the steps' own times.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from .benchbulk import Clock, OfflineHelpdesk, stream_ready
from .benchfill import Life, _Progress, plan, ticket_body
from .benchstaff import SCORES, username

SPAN_DAYS = 730
WINDOW = 500  # steps per window (each of another ticket)
OWNER = {"post": "intake", "reply": "desk", "escalate": "escalation", "answer": "escalation",
         "close": "desk", "survey": "desk"}


class Step(NamedTuple):
    at: datetime
    i: int
    action: str


def steps_of(life: Life, tickets: int, now: datetime) -> list[Step]:
    """The life's steps in time (its own seeded draw, apart from `plan`'s)."""
    draw = random.Random(-1 - life.i)
    if life.close:
        span = timedelta(days=SPAN_DAYS - 2)
        at, scale = now - timedelta(days=SPAN_DAYS) + span * ((life.i + draw.random()) / tickets), 1
    else:
        at, scale = now - timedelta(minutes=40 + 60 * draw.random()), 0.1
    steps = [Step(at, life.i, "post")]
    wanted = ([("reply", 5, 90)] * life.reply
              + [("escalate", 5, 30), ("answer", 10, 120)] * life.escalate
              + [("close", 10, 240)] * life.close + [("survey", 60, 1440)] * life.survey)
    for action, low, high in wanted:
        at += timedelta(minutes=draw.uniform(low, high) * scale)
        steps.append(Step(at, life.i, action))
    return steps


def schedule(tickets: int, now: datetime) -> list[Step]:
    steps = [s for i in range(tickets) for s in steps_of(plan(i), tickets, now)]
    steps.sort()
    return steps


def windows(steps: list[Step], size: int = WINDOW):
    """Consecutive steps, at most `size` and at most one per ticket in each."""
    window, tickets = [], set()
    for step in steps:
        if len(window) >= size or step.i in tickets:
            yield window
            window, tickets = [], set()
        window.append(step)
        tickets.add(step.i)
    if window:
        yield window


class _Bodies:
    """The requests' bodies, decoded from their JSON as the HTTP handlers decode them."""

    def __init__(self):
        import msgspec

        from .schemas.api import Close, Escalate, Message, NewTicket, Survey

        def body(kind, value: dict):
            return msgspec.json.decode(msgspec.json.encode(value), type=kind)

        self.new = lambda life: body(NewTicket, ticket_body(life))
        self.by_action = {
            "reply": body(Message, {"message": "Sedang kami periksa, mohon ditunggu."}),
            "escalate": body(Escalate, {"reason": "Perlu tingkat berikutnya."}),
            "answer": body(Message, {"message": "Sudah diperbaiki di sistem."}),
            "close": body(Close, {"resolution": "Kendala sudah diselesaikan."}),
            "survey": body(Survey, {"scores": SCORES, "comment": "Terima kasih"})}


def _take(helpdesk: OfflineHelpdesk, window: list[Step], made: dict, bodies: _Bodies) -> int:
    """The window's steps, per owning service in one transaction; the conflicts refused."""
    from .platform.auth import Principal
    from .refusals import Conflict

    conflicts = 0
    for service in ("intake", "desk", "escalation"):
        mine = [s for s in window if OWNER[s.action] == service]
        if not mine:
            continue
        app = helpdesk.app(service)
        with app.store.batch():
            for step in mine:
                helpdesk.clock.at = step.at
                life = plan(step.i)
                try:
                    if step.action == "post":
                        created = app.submit(bodies.new(life)).created
                        made[step.i] = (life.unit, created.number, created.access_token)
                    elif step.action == "survey":
                        app.submit_survey(made[step.i][1], made[step.i][2],
                                          bodies.by_action["survey"])
                    else:
                        staff = Principal(username=username(life.unit), role="admin",
                                          tenant=life.unit)
                        app.act(step.action, made[step.i][1], bodies.by_action[step.action],
                                staff)
                except Conflict:
                    conflicts += 1
    return conflicts


def _make(settings, standards, tickets: int, now: datetime, stream_last: int,
          staff=None) -> tuple:
    keep_after = (now - timedelta(days=settings.stream_max_age_days)
                  if settings.stream_max_age_days else datetime.min.replace(tzinfo=UTC))
    helpdesk = OfflineHelpdesk(settings, standards, Clock(now), stream_last, keep_after)
    try:
        if staff is not None:
            staff(helpdesk.store("desk"), standards)
        steps = schedule(tickets, now)
        made, conflicts, bodies = {}, 0, _Bodies()
        progress = _Progress("cepat (langkah)", len(steps))
        # Each store commits once per WINDOW steps, however many windows they take (a closed
        # ticket's steps are minutes apart and the next ticket's days later, so most windows
        # hold a single step).
        with contextlib.ExitStack() as held:
            taken = 0
            for window in windows(steps):
                if not taken:
                    held.enter_context(helpdesk.one_commit())
                started = time.perf_counter()
                conflicts += _take(helpdesk, window, made, bodies)
                helpdesk.seconds["steps"] = (helpdesk.seconds.get("steps", 0.0)
                                             + time.perf_counter() - started)
                helpdesk.settle()
                taken += len(window)
                if taken >= WINDOW:
                    held.close()
                    taken = 0
                for _ in window:
                    progress.step()
        helpdesk.finish_relays()
    except BaseException:
        helpdesk.close()
        raise
    return helpdesk, made, conflicts, len(steps)


async def fill_offline(settings, standards, tickets: int, staff=None) -> dict:
    """Make `tickets` of history with the helpdesk stopped (its nats-server running): the
    stores, the stream's recent part and the durable consumers after it. `staff(desk_store,
    standards)` adds the staff accounts first."""
    from .schemas import STREAM

    started = time.monotonic()
    broker = await stream_ready(settings)
    try:
        js = broker.connection.jetstream()
        last = (await js.stream_info(STREAM)).state.last_seq
        now = datetime.now(UTC)
        helpdesk, made, conflicts, steps = await asyncio.to_thread(
            _make, settings, standards, tickets, now, last, staff)
        try:
            stream = await helpdesk.publish(broker)
        finally:
            await asyncio.to_thread(helpdesk.close)
    finally:
        await broker.stop()
    return {"numbers": [(made[i][0], made[i][1]) for i in range(tickets)],
            "access": {made[i][1]: made[i][2] for i in range(tickets)},
            "seconds": time.monotonic() - started, "conflicts": conflicts, "steps": steps,
            "events": helpdesk.events,
            "seconds_by": {k: round(v, 1) for k, v in helpdesk.seconds.items()}, **stream}
