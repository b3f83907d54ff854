"""The PostgreSQL backend of a service's store, when `database_url` is set: tables prefixed with
the service name (and the URL's `schema`), so services and test runs can share one database.

Chosen once by `ServiceStore` when it opens (`store.open_backend`). PostgreSQL is an optional
extra (`pip install lpse-helpdesk[postgres]`): this module is imported only when it is used.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row

from ..settings import Settings

Statements = Sequence[tuple[str, Sequence[Sequence[Any]]]]
DDL_LOCK_KEY = 0x4C505345  # "LPSE": any fixed number shared by every helpdesk process


def for_postgres(sql: str) -> str:
    # Our statements use qmark style; psycopg wants `%s`. No statement of ours has a literal `?`.
    return sql.replace("%", "%%").replace("?", "%s")


class HelpdeskPostgresRecorder(PostgresProcessRecorder):
    """eventsourcing's process recorder that also writes a decision's read-model rows (the
    `writes=` of `ServiceStore.record`) in the transaction of its events and tracking record."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as upstream
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The statements one after the other in one transaction, not in eventsourcing's
        psycopg pipeline. Why: in the pipeline a failed statement (a ticket number the other
        replica took, a decision that lost its race: routine with replicas) goes wrong in two
        ways, both seen in the cluster test:
        - when its error arrives before the pipeline's sync, the write ends as "pipeline
          aborted", an OperationalError: retried ten times for 2 s, then raised instead of the
          IntegrityError the callers handle;
        - the server skips the statements after a failure, and psycopg can take one of them as
          prepared (it prepares on a sixth use before the server answers); every later write
          on that connection then fails ("prepared statement _pg3_11 does not exist";
          reproduced with psycopg 3.3.9 alone).
        test_store reproduces the first.
        Here each error is raised by its own statement. The extra round trips cost nothing
        measurable on a local server (docs/production.md)."""
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)  # tracking, our rows
            if not stored_events:
                return None
            self._insert_stored_events(curs, stored_events, **kwargs)  # lock, insert
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        for write in kwargs.get("writes", ()):
            curs.execute(for_postgres(write.sql), tuple(write.params))


def environment(settings: Settings) -> dict[str, str]:
    """eventsourcing's environment for a store in the database of `settings.database_url`."""
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
        # replicas peaked at 75 of PostgreSQL's default 100 (measured). With one kept open
        # that test peaks at 36; up to 8 are opened under load and closed again when idle.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "7",
        "SINGLE_ROW_TRACKING": "no",
        "PROCESS_RECORDER_TOPIC": f"{__name__}:HelpdeskPostgresRecorder",
    }


class PostgresBackend:
    is_postgres = True

    def __init__(self, service: str, settings: Settings):
        self.service = service
        self.environment = environment(settings)
        self._shared = threading.local()  # the thread's `one_transaction` cursor, if any
        self._pool: ThreadPoolExecutor | None = None  # `grouped` work
        self._pool_lock = threading.Lock()

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        """Hold a session advisory lock while the store creates its tables.

        Two replicas starting at once on an empty database both run `CREATE TABLE IF NOT
        EXISTS`, and PostgreSQL can then fail one of them on its catalogue's unique index
        (`pg_type_typname_nsp_index`); seen with two replicas of one service."""
        env = self.environment
        with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                             port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                             password=env["POSTGRES_PASSWORD"] or None, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))

    def attach(self, store: Any) -> None:
        """Called once the store's recorder exists."""
        self.store = store
        self.datastore = store.recorder.datastore
        schema = self.datastore.schema
        self.prefix = f'"{schema}".{self.service}'
        self.tracking_table = f'"{schema}"."{store.recorder.tracking_table_name}"'

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        """The thread's `one_transaction` cursor, or a transaction of its own."""
        shared = getattr(self._shared, "cursor", None)
        if shared is not None:
            yield shared
            return
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        with self._cursor(commit=False) as cursor:
            # eventsourcing's connections return dicts: duplicate column names (two COALESCE)
            # would collapse. A shared cursor gets its factory back afterwards.
            factory, cursor.row_factory = cursor.row_factory, tuple_row
            try:
                cursor.execute(for_postgres(sql), tuple(params))
                rows = cursor.fetchall()
            finally:
                cursor.row_factory = factory
        return [tuple(row) for row in rows]

    def execute_returning(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.row_factory = tuple_row
            cursor.execute(for_postgres(sql), tuple(params))
            return [tuple(row) for row in cursor.fetchall()]

    def execute_many(self, statements: Statements) -> None:
        with self._cursor(commit=True) as cursor:
            for sql, rows in statements:
                if rows:
                    cursor.executemany(for_postgres(sql), [tuple(r) for r in rows])

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """One connection held for the duration: this thread's `execute_many` and `query` use
        it (other calls, `record` included, keep their own transactions)."""
        with self.store.using(), self.datastore.transaction(commit=True) as cursor:
            self._shared.cursor = cursor
            try:
                yield
            finally:
                self._shared.cursor = None

    def batch(self):
        """No grouping: each record is its own transaction (commits are not the bottleneck
        here that they are for SQLite's fsync)."""
        return nullcontext()

    def in_batch(self) -> bool:
        return False

    def grouped(self, work, *args) -> Future:
        """The work in worker threads, concurrently: one writer thread would serialise commits
        that PostgreSQL can run side by side."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(4, thread_name_prefix=f"{self.service}-w")
            return self._pool.submit(work, *args)
