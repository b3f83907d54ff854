"""A service's own event store: an eventsourcing Application whose events are our msgspec structs.

- SQLite file `<data_dir>/<service>.sqlite` by default; PostgreSQL when `database_url` is set
  (tables prefixed with the service name, so services can share one database).
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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    Notification,
    PersistenceError,
    Tracking,
)

from ..settings import Settings
from .groupcommit import GroupCommit
from .mapper import EventTooLarge, MsgspecMapper, Stored
from .private import make_private
from .recorders import Write, for_postgres

__all__ = ["EventTooLarge", "IntegrityError", "ServiceStore", "Stored", "Write", "Tracking",
           "utc_text", "from_utc_text"]

# Times kept in read-model columns: fixed-width UTC text, so both databases compare them as
# strings in the right order (isoformat drops the microseconds when they are zero).
log = logging.getLogger("lpse_helpdesk.store")
UTC_TEXT = "%Y-%m-%dT%H:%M:%S.%fZ"


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


def persistence_env(service: str, settings: Settings) -> dict[str, str]:
    """eventsourcing's environment for one service's store."""
    if not settings.uses_postgres:
        make_private(settings.data_dir.resolve())
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / f"{service}.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "10",
            "SINGLE_ROW_TRACKING": "no",
            "PROCESS_RECORDER_TOPIC": "lpse_helpdesk.platform.recorders:HelpdeskSQLiteRecorder",
        }
    url = urlparse(settings.database_url)
    query = parse_qs(url.query)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_SCHEMA": query.get("schema", [""])[0],
        # psycopg_pool opens POOL_SIZE connections per store at once and keeps them. With 4,
        # each process held 28 idle connections (seven stores), and the cluster test's two
        # replicas peaked at 75 of PostgreSQL's default 100 (measured). One stays open now
        # (that test peaks at 36); up to 8 are opened under load and closed again when idle.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "7",
        "SINGLE_ROW_TRACKING": "no",
        "PROCESS_RECORDER_TOPIC": "lpse_helpdesk.platform.recorders:HelpdeskPostgresRecorder",
    }


@contextmanager
def tables_created_one_at_a_time(settings: Settings):
    """PostgreSQL: hold a session advisory lock while a store creates its tables.

    Two replicas starting at once on an empty database both run `CREATE TABLE IF NOT EXISTS`,
    and PostgreSQL can then fail one of them on its catalogue's unique index
    (`pg_type_typname_nsp_index`); seen with two replicas of one service. SQLite files are
    per service and process-locked, so they need nothing."""
    if not settings.uses_postgres:
        yield
        return
    import psycopg

    env = persistence_env("ddl", settings)
    with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                         port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                         password=env["POSTGRES_PASSWORD"] or None, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))


DDL_LOCK_KEY = 0x4C505345  # "LPSE": any fixed number shared by every helpdesk process


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


class ServiceStore(GroupCommit, Application):
    """One service's events, tracking records and read-model tables, in one database."""

    def __init__(self, service: str, settings: Settings, tables: Sequence[str] = ()):
        self.name = service  # eventsourcing uses it to prefix PostgreSQL tables
        self.service = service
        self._users, self._closing = 0, False
        self._users_changed = threading.Condition()
        # Consumers refuse bus messages above this size, so no larger event may be decided.
        self.max_event_bytes = settings.max_body_bytes
        with tables_created_one_at_a_time(settings):
            self._open(service, settings, tables)

    def _open(self, service: str, settings: Settings, tables: Sequence[str]) -> None:
        super().__init__(persistence_env(service, settings))
        self.is_postgres = settings.uses_postgres
        self._tracking_table = getattr(self.recorder, "tracking_table_name", "tracking")
        # Read-model tables are named `<prefix>_<table>`: the service name, and in PostgreSQL
        # also the configured schema, so services and test runs can share one database.
        self.prefix = service
        if self.is_postgres:
            schema = self.recorder.datastore.schema  # type: ignore[attr-defined]
            self._tracking_table = f'"{schema}"."{self._tracking_table}"'
            self.prefix = f'"{schema}".{service}'
        # Called after every successful write, e.g. to wake the outbox relay (from any thread).
        self.listeners: list = []
        self._init_group_commit()
        self.execute(
            [Write(ddl.format(p=self.prefix, n=service)) for ddl in (*PLATFORM_TABLES, *tables)]
        )

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
        if recordings and getattr(self._batch, "cursor", None) is None:  # a batch: at its commit
            for listener in self.listeners:
                listener()
        return [r.notification.id for r in recordings]

    def execute(self, writes: Iterable[Write]) -> None:
        """Rows only, in one transaction (no events)."""
        self.record((), writes=writes)

    @in_use
    def execute_many(self, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Bulk rows: each `(sql, [params, ...])` runs as one `executemany`, all of them in one
        transaction (the thread's open `batch` if there is one). For a bulk rebuild: a
        statement per table instead of a savepoint, a statement and a Python round trip per
        row. Listeners are not called (no events are written)."""
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        if self.is_postgres:
            with self._postgres_cursor(commit=True) as cursor:
                for sql, rows in statements:
                    if rows:
                        cursor.executemany(for_postgres(sql), [tuple(r) for r in rows])
            return
        cursor = getattr(self._batch, "cursor", None)
        if cursor is not None:
            for sql, rows in statements:
                if rows:
                    cursor.executemany(sql, rows)
            return
        with self.batch():
            self.execute_many(statements)

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Every `execute_many` and `query` of this thread inside, in one transaction: all of it
        is committed at the end, or nothing. For a bulk rebuild that writes in chunks and reads
        back what it wrote. SQLite: the thread's `batch`. PostgreSQL: one connection held for
        the duration (other calls, `record` included, keep their own transactions)."""
        if not self.is_postgres:
            with self.batch():
                yield
            return
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        with self.using(), datastore.transaction(commit=True) as cursor:
            self._batch.postgres = cursor
            try:
                yield
            finally:
                self._batch.postgres = None

    @contextmanager
    def _postgres_cursor(self, *, commit: bool) -> Iterator[Any]:
        """The thread's `one_transaction` cursor, or a transaction of its own."""
        shared = getattr(self._batch, "postgres", None)
        if shared is not None:
            yield shared
            return
        with self.recorder.datastore.transaction(commit=commit) as cursor:  # type: ignore[attr-defined]
            yield cursor

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
        if self.is_postgres:
            from psycopg.rows import tuple_row

            with self._postgres_cursor(commit=False) as cursor:
                # eventsourcing's connections return dicts: duplicate column names (two
                # COALESCE) would collapse. A shared cursor gets its factory back afterwards.
                factory, cursor.row_factory = cursor.row_factory, tuple_row
                try:
                    cursor.execute(for_postgres(sql), tuple(params))
                    rows = cursor.fetchall()
                finally:
                    cursor.row_factory = factory
            return [tuple(row) for row in rows]
        with self.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(sql, tuple(params))
            rows = cursor.fetchall()
        return [tuple(row) for row in rows]

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
        self._stop_group_commit()
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
