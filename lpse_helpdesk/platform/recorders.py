"""eventsourcing process recorders that also write a handler's read-model rows.

A tracked consumer's decision is new events + a tracking record + read-model rows. eventsourcing
already stores events and tracking in one transaction; these subclasses add the rows passed as
`writes=` to the same transaction, so either all of a decision is stored or none of it.
(The pattern is the one of eventsourcing's own "searchable content" example.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder


class Write(NamedTuple):
    """One SQL statement with `?` placeholders (translated for PostgreSQL) and its parameters."""

    sql: str
    params: Sequence[Any] = ()


def for_postgres(sql: str) -> str:
    # Our statements use qmark style; psycopg wants `%s`. No statement of ours has a literal `?`.
    return sql.replace("%", "%%").replace("?", "%s")


class HelpdeskSQLiteRecorder(SQLiteProcessRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        for write in kwargs.get("writes", ()):
            c.execute(write.sql, tuple(write.params))
        return returning


try:  # PostgreSQL is an optional extra (`pip install lpse-helpdesk[postgres]`).
    from eventsourcing.persistence import InterfaceError, OperationalError
    from eventsourcing.postgres import PostgresProcessRecorder
    from eventsourcing.utils import retry

    class HelpdeskPostgresRecorder(PostgresProcessRecorder):
        @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as upstream
        def insert_events(
            self, stored_events: Sequence[StoredEvent], **kwargs: Any
        ) -> Sequence[int] | None:
            """The statements one after the other in one transaction, not in eventsourcing's
            psycopg pipeline. Why: in the pipeline a failed statement (a ticket number the
            other replica took, a decision that lost its race: routine with replicas) went
            wrong in two ways, both seen in the cluster test:
            - when its error arrived before the pipeline's sync, the write ended as "pipeline
              aborted", an OperationalError: retried ten times for 2 s, then raised instead
              of the IntegrityError the callers handle;
            - the server skips the statements after a failure, and psycopg could take one of
              them as prepared (it prepares on a sixth use before the server answers); every
              later write on that connection then failed ("prepared statement _pg3_11 does
              not exist"; reproduced with psycopg 3.3.9 alone).
            test_store reproduces the first.
            Here each error is raised by its own statement. The extra round trips cost
            nothing measurable on a local server (docs/production.md)."""
            with self.datastore.get_connection() as conn, conn.transaction(), \
                    conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)  # tracking, our rows
                if not stored_events:
                    return None
                self._insert_stored_events(curs, stored_events, **kwargs)  # lock, insert
                return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

        def _insert_events(
            self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
        ) -> None:
            super()._insert_events(curs, stored_events, **kwargs)
            for write in kwargs.get("writes", ()):
                curs.execute(for_postgres(write.sql), tuple(write.params))

except ImportError:  # pragma: no cover - only without the extra
    HelpdeskPostgresRecorder = None  # type: ignore[assignment,misc]
