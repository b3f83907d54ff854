"""Group commit for a service's SQLite store: many records, one transaction, one fsync.

Why: with `synchronous=FULL` every SQLite commit waits for the disk (about 2,500 per second on
the development machine) and a ticket costs a dozen records across the services. A
consumer's fetched batch (`batch`) and concurrent HTTP writes (`grouped`) therefore share one
transaction, each record in its own savepoint. Durability is kept: nothing is acknowledged
(to NATS, or to an HTTP client) before the shared commit has returned.

A mixin of the SQLite backend (`store_sqlite.py`): it uses the backend's `datastore`, and the
store's `using` and `listeners`. PostgreSQL has no grouping: each record is its own transaction.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError
from eventsourcing.sqlite import SQLiteCursor


class GroupCommit:
    service: str
    store: Any  # the ServiceStore (its `using` and `listeners`)
    datastore: Any  # eventsourcing's SQLiteDatastore

    def _init_group_commit(self) -> None:
        # The open batch transaction of the current thread, if any (see `batch`).
        self._batch = threading.local()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # `grouped` work for the writer
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._plain_transaction = self.datastore.transaction
        self.datastore.transaction = self._transaction  # every recorder call goes through it

    def in_batch(self) -> bool:
        """Whether this thread is inside a `batch` (listeners then wait for its commit)."""
        return getattr(self._batch, "cursor", None) is not None

    def _stop_group_commit(self) -> None:
        with self._writer_lock:
            if self._writer is not None:
                self._queue.put(None)
                self._writer.join(timeout=10)
                self._writer = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many `record` calls of this thread in ONE transaction: one commit (one fsync)
        for the lot instead of one each.

        Why: with `synchronous=FULL` every SQLite commit waits for the disk (about 2,500 per
        second here), and a ticket costs a dozen records across the services. Grouping
        keeps full durability (nothing is acknowledged to NATS or anyone else before the batch's
        commit has returned) and divides the fsyncs by the batch size.

        Inside the batch each `record` runs in its own SAVEPOINT, so a conflicting record
        (IntegrityError: a tracked duplicate, a version conflict) is undone alone and the rest of
        the batch stands. Reads of this thread (`query`, `history`, `is_tracked`, ...) use the
        batch's connection, so a handler sees the decisions stored earlier in the same batch,
        exactly as it would have after their separate commits. `BEGIN IMMEDIATE` takes the write
        lock at once: other writers wait (busy timeout) instead of invalidating our snapshot.
        Listeners (the relay's wake-up) are called after the commit, never before.

        If the commit fails, everything in the batch is rolled back and the exception raised: the
        caller must treat every record of the batch as not stored.
        """
        if self.in_batch():
            yield  # already inside a batch: nest
            return
        with self.store.using(), self.datastore.get_connection(commit=True) as connection:
            cursor = connection._sqlite_conn.cursor()  # noqa: SLF001 - eventsourcing's wrapper
            cursor.execute("BEGIN IMMEDIATE")
            self._batch.cursor, self._batch.notified, self._batch.savepoints = cursor, False, 0
            try:
                yield
            except BaseException:
                connection.rollback()
                raise
            else:
                try:
                    connection.commit()
                except sqlite3.Error as exc:
                    connection.rollback()
                    raise OperationalError(exc) from exc
            finally:
                notified = self._batch.notified
                self._batch.cursor = None
                cursor.close()
        if notified:
            for listener in self.store.listeners:
                listener()

    def grouped(self, work, *args) -> Future:
        """Run `work(*args)` on this store's writer thread, grouped with whatever other work is
        queued into one `batch` (one commit); the future resolves after that commit.

        For request handlers that write one small decision each (intake's POST): run one by one
        in worker threads, each would pay its own fsync and queue on the store's single writer
        connection anyway. Grouped, N concurrent requests cost one fsync, and their reads see the
        work stored before them in the group (e.g. the next ticket number), so they do not
        collide. Each work item runs in its own savepoint: if it raises, nothing of it is kept
        and its future gets the exception; the others are unaffected. If the commit fails, every
        future of the group gets the error (nothing of the group was stored).
        """
        future: Future = Future()
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_groups, name=f"{self.service}-writer", daemon=True)
                self._writer.start()
            self._queue.put((future, work, args))
        return future

    def _write_groups(self, limit: int = 64) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < limit:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(item)
            results: list = []
            try:
                with self.batch():
                    for _, work, args in group:
                        results.append(self._run_grouped(work, args))
            except BaseException as exc:  # noqa: BLE001 - the commit failed: nothing stored
                results = [(False, exc)] * len(group)
            for (future, _, _), (ok, value) in zip(group, results):
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _run_grouped(self, work, args) -> tuple[bool, Any]:
        cursor = self._batch.cursor  # `_write_groups` runs this inside its batch
        cursor.execute("SAVEPOINT grouped")
        try:
            value = work(*args)
        except Exception as exc:  # noqa: BLE001 - undone alone, handed to the caller
            cursor.execute("ROLLBACK TO grouped")
            cursor.execute("RELEASE grouped")
            return False, exc
        cursor.execute("RELEASE grouped")
        return True, value

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        """eventsourcing's `datastore.transaction`, inside the thread's batch when there is one:
        writes get a SAVEPOINT (undone alone on error), reads share the batch's connection."""
        cursor = getattr(self._batch, "cursor", None)
        if cursor is None:
            with self._plain_transaction(commit=commit) as plain:
                yield plain
            return
        if not commit:
            yield SQLiteCursor(cursor)
            return
        self._batch.savepoints += 1
        name = f"record_{self._batch.savepoints}"
        cursor.execute(f"SAVEPOINT {name}")
        try:
            yield SQLiteCursor(cursor)
        except BaseException as exc:
            cursor.execute(f"ROLLBACK TO {name}")
            cursor.execute(f"RELEASE {name}")
            if isinstance(exc, sqlite3.IntegrityError):  # translated as eventsourcing does
                raise IntegrityError(exc) from exc
            if isinstance(exc, sqlite3.Error):
                raise PersistenceError(exc) from exc
            raise
        cursor.execute(f"RELEASE {name}")
        self._batch.notified = True
