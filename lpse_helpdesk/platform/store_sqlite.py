"""The SQLite backend of a service's store: a file `<data_dir>/<service>.sqlite` per service.

Chosen once by `ServiceStore` when it opens (`store.open_backend`); everything that differs
from PostgreSQL for SQLite is here and in `groupcommit.py` (one commit for many records).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder

from ..settings import Settings
from .groupcommit import GroupCommit
from .private import make_private

Statements = Sequence[tuple[str, Sequence[Sequence[Any]]]]


class HelpdeskSQLiteRecorder(SQLiteProcessRecorder):
    """eventsourcing's process recorder that also writes a decision's read-model rows (the
    `writes=` of `ServiceStore.record`) in the transaction of its events and tracking record,
    so either all of a decision is stored or none of it (the pattern of eventsourcing's own
    "searchable content" example)."""

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        for write in kwargs.get("writes", ()):
            c.execute(write.sql, tuple(write.params))
        return returning


def _secure_delete(pool: Any) -> None:
    """Every connection of the store zeroes what it deletes or overwrites, so an erased
    person's values leave no copy in freed space (`privacy_wipe.py`). Set on the connections
    the pool made already and on each it makes from now on (eventsourcing has no hook)."""
    create = pool._create_connection  # noqa: SLF001

    def created():
        connection = create()
        connection._sqlite_conn.execute("PRAGMA secure_delete=ON")  # noqa: SLF001
        return connection

    pool._create_connection = created  # noqa: SLF001
    for connection in list(pool._pool):  # noqa: SLF001
        connection._sqlite_conn.execute("PRAGMA secure_delete=ON")  # noqa: SLF001


class SQLiteBackend(GroupCommit):
    is_postgres = False

    def __init__(self, service: str, settings: Settings):
        self.service = service
        make_private(settings.data_dir.resolve())
        self.environment = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / f"{service}.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "10",
            "SINGLE_ROW_TRACKING": "no",
            "PROCESS_RECORDER_TOPIC": f"{__name__}:HelpdeskSQLiteRecorder",
        }

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        """Nothing to serialise: a SQLite file is per service and process-locked."""
        yield

    def attach(self, store: Any) -> None:
        """Called once the store's recorder exists."""
        self.store = store
        self.datastore = store.recorder.datastore
        self.prefix = self.service
        self.tracking_table = "tracking"  # eventsourcing's SQLite recorder's fixed name
        _secure_delete(self.datastore.pool)
        self._init_group_commit()

    def close(self) -> None:
        self._stop_group_commit()

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, tuple(params))
            rows = cursor.fetchall()
        return [tuple(row) for row in rows]

    def execute_returning(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(sql, tuple(params))
            return [tuple(row) for row in cursor.fetchall()]

    def execute_many(self, statements: Statements) -> None:
        with self.batch():
            cursor = self._batch.cursor
            for sql, rows in statements:
                if rows:
                    cursor.executemany(sql, rows)

    def one_transaction(self):
        """The thread's `batch`: every call of this thread inside it shares its transaction."""
        return self.batch()
