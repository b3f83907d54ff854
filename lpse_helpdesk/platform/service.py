"""What a service package declares, so the runtime can run any of them the same way.

Each `lpse_helpdesk/services/<name>/__init__.py` exports `SERVICE = ServiceDefinition(...)`:
its tables, how to build its application object from a `ServiceContext`, the tracked consumers
it runs and the HTTP routes it serves. The runtime does the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from faststream.nats import NatsBroker

from ..settings import Settings
from ..standards.model import UnitStandard
from .auth import TokenSigner
from .consumer import Handler
from .store import ServiceStore

App = TypeVar("App")  # a service's application object (IntakeService, DeskService, ...)


@dataclass(frozen=True)
class ConsumerSpec:
    name: str  # durable consumer name, unique on the stream
    # NATS subject filter(s): only the event types the handler acts on (or folds: a handler
    # that folds a ticket's history must get every event type its fold reads).
    subject: str | tuple[str, ...]
    handler: Handler
    # A pure projection names the tables it fills: `rebuild` may empty them and replay.
    rebuild_tables: tuple[str, ...] = ()
    # Bulk rebuild (`platform/rebuild.py`): makes a projection whose `add([(seq, event)])`
    # returns the rows of the `rebuild_tables` for a chunk of the stream, and `finish()` the
    # rest, as `[(sql, [params, ...])]` for executemany. With it, `rebuild` replays the stream
    # itself instead of letting the live consumer replay it.
    bulk: Callable[[], Any] | None = None
    # For a consumer that also decides: the events whose handling may decide something. A bulk
    # rebuild only projects, so it leaves such an event to the live consumer unless the
    # consumer had already handled (tracked) it before the rebuild.
    decides: Callable[[Any], bool] | None = None
    # A quick handler that never waits (no decision guard, no network): on SQLite the runtime
    # runs its batches on the event loop's thread, not a worker thread (`TrackedConsumer.inline`).
    inline: bool = False


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    """What a service is built from (`bootstrap.py` puts it together)."""

    settings: Settings
    store: ServiceStore
    standards: Mapping[str, UnitStandard] = field(default_factory=dict)  # by tenant
    now: Callable[[], datetime] = utc_now  # the clock timers read; tests move it
    signer: TokenSigner | None = None  # verifies staff bearer tokens
    broker: NatsBroker | None = None  # the process's NATS broker (None offline, e.g. a replay)
    loop: asyncio.AbstractEventLoop | None = None  # the runtime's, for bus calls from threads


@dataclass(frozen=True)
class ServiceDefinition(Generic[App]):
    name: str
    build: Callable[[ServiceContext], App]
    tables: Sequence[str] = ()
    consumers: Callable[[App], Sequence[ConsumerSpec]] = lambda app: ()
    routes: Callable[[App], Sequence[Any]] = lambda app: ()  # Litestar route handlers
    # Background loops (e.g. timers), each called as `await loop(stop_event)`.
    tasks: Callable[[App], Sequence[Callable[[asyncio.Event], Awaitable[None]]]] = lambda app: ()
    # What /ready shows of the service beside its store (e.g. intake's mailboxes); it does not
    # decide readiness.
    reports: Callable[[App], dict[str, Any]] = lambda app: {}
