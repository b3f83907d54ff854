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
    from eventsourcing.postgres import PostgresFactory, PostgresProcessRecorder

    class HelpdeskPostgresFactory(PostgresFactory):
        """eventsourcing's PostgreSQL factory, with psycopg's prepared statements turned off.

        Why: eventsourcing writes in a psycopg pipeline. psycopg prepares a statement on its
        sixth use and takes it as prepared at once, before the server has answered. When an
        earlier statement of the pipeline failed (a ticket number another replica took, a
        decision that lost its race: routine here), the server skips that parse, yet the
        transaction can still end in COMMIT, which does not clear psycopg's cache. From then
        on every write on that connection fails with "prepared statement _pg3_N does not
        exist" (seen in the cluster test; reproduced with psycopg 3.3.9 alone). Without
        prepared statements there is no such state to lose; PgBouncer in transaction mode
        needs them off as well."""

        def __init__(self, env):
            super().__init__(env)
            # The pool opens lazily, at the first connection: every connection gets this.
            self.datastore.pool.kwargs["prepare_threshold"] = None

    class HelpdeskPostgresRecorder(PostgresProcessRecorder):
        def _insert_events(
            self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
        ) -> None:
            super()._insert_events(curs, stored_events, **kwargs)
            for write in kwargs.get("writes", ()):
                curs.execute(for_postgres(write.sql), tuple(write.params))

except ImportError:  # pragma: no cover - only without the extra
    HelpdeskPostgresFactory = HelpdeskPostgresRecorder = None  # type: ignore[assignment,misc]
