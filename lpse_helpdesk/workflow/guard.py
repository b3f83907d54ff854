"""One winner per ticket across services: a compare-and-set on the ticket's last decision.

Desk (reply, close, reopen) and escalation (escalate, answer) decide on the same ticket in two
stores; their own versions cannot see each other. So a workflow decision first sets the
ticket's entry in the JetStream key-value bucket TICKET_DECISIONS from the revision it read to
its own event id. A second decision based on the same revision fails the compare-and-set and
is refused. A decision also waits until the last decision named there is in its own history,
so it never decides on a state that misses it. If the named event never arrives (its service
crashed after the compare-and-set and before storing), it is treated as abandoned after
`abandon_after` seconds.

Keys expire (`DECISIONS_TTL_S`, the bucket's max age), so the bucket holds only the tickets
decided on lately, not one key per ticket ever decided. A key is needed only while a decision
is in flight: the guard waits for the named event at most `abandon_after` (30 s) after it was
written, and a read, its decision and its write take at most `wait_seconds` plus the 10-s
round trips. An hour is far beyond both. When a key expires between a decision's read and its
write, the write fails safe: `update(last=revision)` of a key that is gone is refused by the
server (wrong last sequence: 0), which is the usual "another decision won" refusal, and the
staff member acts again; a read that found no key creates it, and of two such creates only
one wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from nats.errors import Error as NatsError
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)

from .. import refusals
from ..platform.natsclient import BusDown, jetstream
from .state import fold_state

BUCKET = "TICKET_DECISIONS"
# How long a ticket's last decision is kept after it was made (the bucket's max age); see above.
DECISIONS_TTL_S = 3600.0


@dataclass(frozen=True)
class Decided:
    """A decision checked against the ticket's state, not stored yet."""

    event: object
    version: int  # the decider's last version of the ticket, read with the state
    known: tuple = ()  # the history it was checked against, to report the state after it

    def state_after(self):
        return fold_state([*self.known, self.event])


class BusUnavailable(refusals.Unavailable):
    """The guard cannot reach NATS, so no decision on a ticket can be taken for now."""


class DecisionGuard:
    def __init__(self, broker, loop: asyncio.AbstractEventLoop, wait_seconds: float = 5.0,
                 abandon_after: float = 30.0):
        self.broker, self.loop = broker, loop
        self.wait_seconds, self.abandon_after = wait_seconds, abandon_after
        self._kv = None

    def _run(self, coroutine):
        """Run on the runtime's event loop from a worker thread (decisions run in threads)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _bucket(self):
        if self._kv is None:
            try:  # created, with the configured replicas, by `bus.ensure_buckets` on connect
                self._kv = await jetstream(self.broker).key_value(BUCKET)
            except BucketNotFoundError as exc:
                raise BusDown(f"bucket {BUCKET} belum ada; NATS belum siap") from exc
        return self._kv

    async def _read(self, key: str) -> tuple[int, str | None, float]:
        kv = await self._bucket()
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:
            return 0, None, 0.0
        event_id, _, stamp = (entry.value or b"").decode().partition("@")
        return entry.revision or 0, event_id or None, float(stamp or 0)

    async def _write(self, key: str, revision: int, event_id: uuid.UUID) -> None:
        kv = await self._bucket()
        value = f"{event_id}@{time.time()}".encode()
        if revision:
            await kv.update(key, value, last=revision)
        else:
            await kv.create(key, value)

    def decide(self, ticket_id: uuid.UUID, history_ids: Callable[[], set],
               decide: Callable[[], Decided | None]) -> Decided | None:
        """Run `decide()` (check the state, build the event) under the ticket's guard, then
        claim the decision for its event. None from `decide()` claims nothing."""
        key = str(ticket_id)
        with _bus_refusals():
            revision, last, stamp = self._run(self._read(key))
        deadline = time.monotonic() + self.wait_seconds
        while last is not None and uuid.UUID(last) not in history_ids():
            if time.time() - stamp > self.abandon_after:
                break  # its decider died before storing it
            if time.monotonic() > deadline:
                raise refusals.Conflict("keputusan lain atas tiket ini masih diproses; "
                                        "coba lagi sebentar / another decision is in flight")
            time.sleep(0.05)
        result = decide()  # outside the bus's errors: a bug in a decision is not "NATS down"
        if result is not None:
            with _bus_refusals():
                self._run(self._write(key, revision, result.event.event_id))
        return result


@contextlib.contextmanager
def _bus_refusals():
    """The compare-and-set's outcomes as refusals: lost the race, or no NATS."""
    try:
        yield
    except (KeyWrongLastSequenceError, KeyNotFoundError) as exc:
        raise refusals.Conflict("tiket ini baru saja diputuskan staf lain; muat ulang lalu "
                                "coba lagi / another decision on this ticket won") from exc
    except (ConnectionError, TimeoutError, NatsError) as exc:
        raise BusUnavailable(f"NATS tidak tersedia, aksi ditunda: {exc}") from exc


def guarded(guard: DecisionGuard | None, ticket_id: uuid.UUID, history_ids: Callable[[], set],
            decide: Callable[[], Decided | None]) -> Decided | None:
    """`guard.decide(...)`, or just `decide()` where no bus is at hand (offline replay)."""
    if guard is None:
        return decide()
    return guard.decide(ticket_id, history_ids, decide)


def guard_for(ctx) -> DecisionGuard | None:
    return DecisionGuard(ctx.broker, ctx.loop) if ctx.broker is not None else None
