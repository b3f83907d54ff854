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
    from eventsourcing.postgres import PostgresProcessRecorder

    class HelpdeskPostgresRecorder(PostgresProcessRecorder):
        def _insert_events(
            self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
        ) -> None:
            super()._insert_events(curs, stored_events, **kwargs)
            for write in kwargs.get("writes", ()):
                curs.execute(for_postgres(write.sql), tuple(write.params))

except ImportError:  # pragma: no cover - only without the extra
    HelpdeskPostgresRecorder = None  # type: ignore[assignment,misc]
