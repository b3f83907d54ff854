"""A service's own event store: an eventsourcing Application whose events are our msgspec structs.

- SQLite file `<data_dir>/<service>.sqlite` by default (`store_sqlite.py`); PostgreSQL when
  `database_url` is set (`store_postgres.py`: tables prefixed with the service name, so services
  can share one database). The backend is chosen once, when the store opens; this module is the
  same for both.
- The stored state of an event is exactly its wire JSON (`schemas.encode_event`), and its topic
  is the event tag: one definition serves store and bus, and the relay publishes stored bytes.
- Tracking is multi-row (one row per consumed stream sequence, primary key enforced), because
  messages can be processed out of order after a retry: "max position" tracking would skip them.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    Notification,
    PersistenceError,
    Tracking,
)

from ..settings import Settings
from .mapper import EventTooLarge, MsgspecMapper, Stored
from .store_sqlite import SQLiteBackend

__all__ = ["EventTooLarge", "IntegrityError", "ServiceStore", "Stored", "Write", "Tracking",
           "utc_text", "from_utc_text"]

log = logging.getLogger("lpse_helpdesk.store")
# Times kept in read-model columns: fixed-width UTC text, so both databases compare them as
# strings in the right order (isoformat drops the microseconds when they are zero).
UTC_TEXT = "%Y-%m-%dT%H:%M:%S.%fZ"


class Write(NamedTuple):
    """One SQL statement with `?` placeholders (translated for PostgreSQL) and its parameters."""

    sql: str
    params: Sequence[Any] = ()


def utc_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime writes such a year without its leading zeros
        return moment.strftime(UTC_TEXT)
    # The same text as strftime(UTC_TEXT) in less than half the time (strftime expands %f
    # in Python; isoformat with a timespec is not much faster): a bulk rebuild writes four
    # of these per ticket.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
        moment.microsecond)


def from_utc_text(text: str) -> datetime:
    return datetime.strptime(text, UTC_TEXT).replace(tzinfo=UTC)


class Backend(Protocol):
    """What differs between SQLite (`store_sqlite.py`) and PostgreSQL (`store_postgres.py`)."""

    is_postgres: bool
    environment: dict[str, str]  # eventsourcing's environment for this store
    prefix: str  # of read-model tables: `<prefix>_<table>`
    tracking_table: str

    def creating_tables(self) -> AbstractContextManager[None]: ...
    def attach(self, store: ServiceStore) -> None: ...
    def close(self) -> None: ...
    def query(self, sql: str, params: Sequence[Any]) -> list[tuple]: ...
    def execute_returning(self, sql: str, params: Sequence[Any]) -> list[tuple]: ...
    def execute_many(self, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None: ...
    def one_transaction(self) -> AbstractContextManager[None]: ...
    def batch(self) -> AbstractContextManager[None]: ...
    def in_batch(self) -> bool: ...
    def grouped(self, work: Callable[..., Any], *args: Any) -> Future: ...


def open_backend(service: str, settings: Settings) -> Backend:
    """The store's backend, chosen once: PostgreSQL when `database_url` is set, else SQLite."""
    if settings.uses_postgres:
        # Imported only here: PostgreSQL is an optional extra (psycopg may be missing).
        from .store_postgres import PostgresBackend

        return PostgresBackend(service, settings)
    return SQLiteBackend(service, settings)


class StoreClosed(PersistenceError):
    """The store is closing: the work is refused (and, in a consumer, retried later)."""


def in_use(method):
    """Count the call as a user of the store's connections, so that `close` waits for it.

    Why: services call the store from worker threads (`asyncio.to_thread`), and cancelling the
    task that awaits such a call does not stop the thread. Closing the SQLite connections
    under a thread still using them crashed the interpreter (a segfault in a CI run)."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        with self.using():
            return method(self, *args, **kwargs)
    return guarded


class ServiceStore(Application):
    """One service's events, tracking records and read-model tables, in one database."""

    def __init__(self, service: str, settings: Settings, tables: Sequence[str] = ()):
        self.name = service  # eventsourcing uses it to prefix PostgreSQL tables
        self.service = service
        self._users, self._closing = 0, False
        self._users_changed = threading.Condition()
        # Consumers refuse bus messages above this size, so no larger event may be decided.
        self.max_event_bytes = settings.max_body_bytes
        self.backend = open_backend(service, settings)
        # For services whose own tables differ by backend (full-text search, ALTER TABLE).
        self.is_postgres = self.backend.is_postgres
        # Called after every successful write, e.g. to wake the outbox relay (from any thread).
        self.listeners: list[Callable[[], None]] = []
        with self.backend.creating_tables():
            super().__init__(self.backend.environment)
            self.backend.attach(self)
            # Read-model tables are named `<prefix>_<table>`: the service name, and in
            # PostgreSQL also the configured schema, so services and test runs can share one
            # database.
            self.prefix = self.backend.prefix
            self._tracking_table = self.backend.tracking_table
            self.execute([Write(ddl.format(p=self.prefix, n=service))
                          for ddl in (*PLATFORM_TABLES, *tables)])

    # eventsourcing hooks --------------------------------------------------------------------
    def construct_mapper(self) -> Mapper:
        return MsgspecMapper(self.max_event_bytes)

    def construct_recorder(self):  # the process recorder: events + tracking + our rows
        return self.factory.process_recorder()

    # writing --------------------------------------------------------------------------------
    @in_use
    def record(
        self,
        stored: Sequence[Stored] = (),
        *,
        tracking: Tracking | None = None,
        writes: Iterable[Write] = (),
    ) -> list[int]:
        """Store events, a tracking record and rows atomically; returns notification ids.

        Raises `IntegrityError` when another writer got there first: the same aggregate version
        (a concurrent decision on one ticket) or the same tracking position (a duplicate).
        """
        recordings = self.events.put(list(stored), tracking=tracking, writes=list(writes))
        if recordings and not self.backend.in_batch():  # in a batch: after its commit
            for listener in self.listeners:
                listener()
        return [r.notification.id for r in recordings]

    def execute(self, writes: Iterable[Write]) -> None:
        """Rows only, in one transaction (no events)."""
        self.record((), writes=writes)

    @in_use
    def execute_returning(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """One committed statement that writes and returns rows (`UPDATE ... RETURNING`):
        `execute` returns nothing and `query` never commits."""
        return self.backend.execute_returning(sql, params)

    @in_use
    def execute_many(self, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Bulk rows: each `(sql, [params, ...])` runs as one `executemany`, all of them in one
        transaction (the thread's open `batch` or `one_transaction` if there is one). For a
        bulk rebuild: a statement per table instead of a savepoint, a statement and a Python
        round trip per row. Listeners are not called (no events are written)."""
        self.backend.execute_many(statements)

    def one_transaction(self) -> AbstractContextManager[None]:
        """Every `execute_many` and `query` of this thread inside, in one transaction: all of it
        is committed at the end, or nothing. For a bulk rebuild that writes in chunks and reads
        back what it wrote. SQLite: the thread's `batch`. PostgreSQL: one connection held for
        the duration (other calls, `record` included, keep their own transactions)."""
        return self.backend.one_transaction()

    def batch(self) -> AbstractContextManager[None]:
        """Many `record` calls of this thread in one transaction and one commit
        (`groupcommit.py`); PostgreSQL: each record commits on its own."""
        return self.backend.batch()

    def grouped(self, work: Callable[..., Any], *args: Any) -> Future:
        """`work(*args)` grouped with other concurrent work into one commit (SQLite's writer
        thread), or in a worker thread (PostgreSQL); the future resolves after the commit."""
        return self.backend.grouped(work, *args)

    @property
    def tracking_table(self) -> str:
        return self._tracking_table

    def tracked(self, consumer: str) -> set[int]:
        """Every stream sequence the consumer has tracked."""
        rows = self.query(
            f"SELECT notification_id FROM {self._tracking_table} WHERE application_name = ?",
            (consumer,))
        return {int(row[0]) for row in rows}

    # reading --------------------------------------------------------------------------------
    @in_use
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.backend.query(sql, params)

    @in_use
    def history(self, originator_id: uuid.UUID) -> list[Stored]:
        return list(self.events.get(originator_id))  # type: ignore[arg-type]

    @in_use
    def next_version(self, originator_id: uuid.UUID) -> int:
        history = self.recorder.select_events(originator_id, desc=True, limit=1)
        return history[0].originator_version + 1 if history else 1

    def is_tracked(self, consumer: str, position: int) -> bool:
        rows = self.query(
            f"SELECT 1 FROM {self._tracking_table} WHERE application_name = ? "
            "AND notification_id = ?",
            (consumer, position),
        )
        return bool(rows)

    def tracked_among(self, consumer: str, positions: Sequence[int]) -> set[int]:
        """Which of `positions` the consumer has already tracked (one query for a batch)."""
        if not positions:
            return set()
        rows = self.query(
            f"SELECT notification_id FROM {self._tracking_table} WHERE application_name = ? "
            f"AND notification_id IN ({', '.join('?' * len(positions))})",
            (consumer, *positions),
        )
        return {int(row[0]) for row in rows}

    @in_use
    def notifications(self, after: int, limit: int = 200) -> Sequence[Notification]:
        return self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )

    @in_use
    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    @contextmanager
    def using(self) -> Iterator[None]:
        with self._users_changed:
            if self._closing:
                raise StoreClosed(f"penyimpanan {self.service} sedang ditutup / store closing")
            self._users += 1
        try:
            yield
        finally:
            with self._users_changed:
                self._users -= 1
                self._users_changed.notify_all()

    def close(self, wait: float = 30.0) -> None:
        """Refuse new work, wait (up to `wait` seconds) for the calls in flight, then close."""
        with self._users_changed:
            self._closing = True
            if not self._users_changed.wait_for(lambda: self._users == 0, timeout=wait):
                log.error("penyimpanan %s ditutup dengan %d panggilan masih berjalan (lewat %ss)",
                          self.service, self._users, wait)
        self.backend.close()
        self.factory.close()


# Tables every service has: the relay's position and the dead letters of its consumers.
PLATFORM_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_outbox_position ("
    " name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}_dead_letters ("
    " consumer TEXT NOT NULL, stream_seq BIGINT NOT NULL, subject TEXT NOT NULL,"
    " payload TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " created_at TEXT NOT NULL, PRIMARY KEY (consumer, stream_seq))",
    # A row per replay: the primary key makes a second replay of one letter impossible.
    "CREATE TABLE IF NOT EXISTS {p}_dead_letter_replays ("
    " consumer TEXT NOT NULL, stream_seq BIGINT NOT NULL, replayed_at TEXT NOT NULL,"
    " PRIMARY KEY (consumer, stream_seq))",
)
