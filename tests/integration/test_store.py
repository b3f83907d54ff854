"""Each service's event store: our msgspec structs stored by eventsourcing, atomically with
tracking records and read-model rows, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
import uuid

import pytest

from lpse_helpdesk.platform.store import IntegrityError, ServiceStore, Stored, Tracking, Write
from lpse_helpdesk.schemas import encode_event, new_envelope
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.settings import Settings

ROWS = "CREATE TABLE IF NOT EXISTS {p}_rows (k TEXT PRIMARY KEY, v INTEGER)"


@pytest.fixture
def store(tmp_path, database_url):
    s = ServiceStore("desk", Settings(data_dir=tmp_path, database_url=database_url), [ROWS])
    yield s
    s.close()


def reply(ticket_id: uuid.UUID) -> ev.TicketReplied:
    return ev.TicketReplied(**new_envelope(ticket_id, "tuban"), message="Silakan coba lagi",
                            actor=ev.Actor(id="sari", role="helpdesk"))


def test_stored_state_is_the_wire_json(store):
    ticket = uuid.uuid4()
    event = reply(ticket)
    [notification_id] = store.record([Stored(event, ticket, 1)])
    [notification] = store.notifications(notification_id - 1, 1)
    assert notification.state == encode_event(event)  # the relay publishes these bytes as-is
    assert notification.topic == "ticket.replied"
    assert store.history(ticket) == [Stored(event, ticket, 1)]


def test_events_tracking_and_rows_commit_together(store):
    ticket = uuid.uuid4()
    row = Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)", ("a", 1))
    store.record([Stored(reply(ticket), ticket, 1)], tracking=Tracking("c", 10), writes=[row])
    assert store.is_tracked("c", 10) and not store.is_tracked("c", 9)

    # Same position again: nothing of this second decision may be stored.
    ticket2 = uuid.uuid4()
    row2 = Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)", ("b", 2))
    with pytest.raises(IntegrityError):
        store.record([Stored(reply(ticket2), ticket2, 1)], tracking=Tracking("c", 10), writes=[row2])
    assert store.query(f"SELECT k FROM {store.prefix}_rows") == [("a",)]
    assert store.history(ticket2) == []
    assert store.max_notification_id() == 1


def test_a_failing_row_rolls_back_the_events(store):
    ticket = uuid.uuid4()
    bad = Write(f"INSERT INTO {store.prefix}_no_such_table VALUES (?)", (1,))
    with pytest.raises(Exception):
        store.record([Stored(reply(ticket), ticket, 1)], tracking=Tracking("c", 1), writes=[bad])
    assert store.history(ticket) == [] and not store.is_tracked("c", 1)


def test_concurrent_decision_on_one_ticket_loses(store):
    ticket = uuid.uuid4()
    store.record([Stored(reply(ticket), ticket, 1)])
    with pytest.raises(IntegrityError):
        store.record([Stored(reply(ticket), ticket, 1)])
    assert store.next_version(ticket) == 2


def test_a_lost_race_on_postgres_is_an_integrity_error_at_once(tmp_path, pg_url, monkeypatch):
    # Two intake replicas take the same ticket number now and then; the loser must get an
    # IntegrityError, so that it tries the next number. In eventsourcing's pipelined write,
    # when the conflict's error reached a busy client before the pipeline's sync, it came out
    # as "pipeline aborted" (OperationalError) after ten retries over 2 s: a 500 in the
    # cluster test. The pause before the table lock stands in for that busy client.
    store = ServiceStore("intake", Settings(data_dir=tmp_path, database_url=pg_url), [ROWS])
    lock_table = store.recorder._lock_table

    def held_up_then_lock(cursor):
        time.sleep(0.05)
        lock_table(cursor)

    monkeypatch.setattr(store.recorder, "_lock_table", held_up_then_lock)
    try:
        first, second = uuid.uuid4(), uuid.uuid4()
        number = Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)", ("BTM-2026-000001", 1))
        store.record([Stored(reply(first), first, 1)], writes=[number])
        with pytest.raises(IntegrityError):  # the old write raised OperationalError instead
            store.record([Stored(reply(second), second, 1)], writes=[number])
        assert store.history(second) == []
        later = uuid.uuid4()  # and the connection still works
        store.record([Stored(reply(later), later, 1)],
                     writes=[Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)", ("n2", 2))])
        assert [r[0] for r in store.query(f"SELECT k FROM {store.prefix}_rows ORDER BY k")] == [
            "BTM-2026-000001", "n2"]
    finally:
        store.close()


def test_tracking_is_per_position_not_a_maximum(store):
    # A retried message processed after a later one must not look "already done".
    store.record((), tracking=Tracking("c", 7))
    assert not store.is_tracked("c", 5)
    store.record((), tracking=Tracking("c", 5))
    assert store.is_tracked("c", 5)


def test_replicas_starting_together_on_an_empty_postgres_database_all_open(tmp_path, pg_url):
    """Two replicas of a service creating their tables at the same moment: PostgreSQL can fail
    one on its catalogue (`pg_type_typname_nsp_index`) unless creation is serialised."""
    import subprocess
    import sys

    script = ("import sys; from lpse_helpdesk.platform.store import ServiceStore;"
              "from lpse_helpdesk.services.desk import views, users;"
              "from lpse_helpdesk.settings import Settings;"
              "s = ServiceStore('desk', Settings(database_url=sys.argv[1]),"
              " (*views.TABLES, *users.TABLES)); s.close()")
    replicas = [subprocess.Popen([sys.executable, "-c", script, pg_url], stderr=subprocess.PIPE,
                                 text=True) for _ in range(4)]
    failures = [p.stderr.read() for p in replicas if p.wait(timeout=60) != 0]
    assert not failures, failures[0][-800:]


def test_close_waits_for_work_in_flight_and_refuses_new_work(tmp_path):
    """A worker thread still inside a batch when the runtime stops: closing the connections
    under it crashed the interpreter once (segfault); now close waits, and the batch's next
    write is refused and rolled back."""
    import threading
    import time

    from lpse_helpdesk.platform.store import StoreClosed

    store = ServiceStore("desk", Settings(data_dir=tmp_path))
    inside, outcome = threading.Event(), {}

    def worker():
        try:
            with store.batch():
                store.execute([Write("CREATE TABLE IF NOT EXISTS t (x INTEGER)")])
                inside.set()
                time.sleep(0.3)  # the close arrives now
                store.execute([Write("INSERT INTO t VALUES (1)")])
        except StoreClosed as exc:
            outcome["refused"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started >= 0.2  # it waited for the batch
    thread.join(5)
    assert "refused" in outcome
    reopened = ServiceStore("desk", Settings(data_dir=tmp_path))
    assert reopened.query("SELECT name FROM sqlite_master WHERE name = 't'") == []  # rolled back
    reopened.close()


@pytest.mark.parametrize("inline", [True, False])
async def test_an_inline_consumer_decides_on_the_loop_thread(store, inline):
    """`inline` runs a batch on the event loop's thread (no GIL hand-off per SQLite call),
    otherwise in a worker thread; the batch is stored either way. (Which consumers are inline,
    SQLite only, the runtime decides: tests/e2e/test_ticket_flow.py.)"""
    import threading

    from lpse_helpdesk.platform.consumer import Decision, TrackedConsumer

    threads = []

    def handler(event, seq):
        threads.append(threading.get_ident())
        return Decision(writes=[Write("INSERT INTO {p}_rows VALUES (?, ?)".format(
            p=store.prefix), (str(seq), seq))])

    consumer = TrackedConsumer("uji", "helpdesk.>", handler, store, Settings(), inline=inline)
    body = encode_event(reply(uuid.uuid4()))
    outcomes = await consumer.process_batch([("s", body, 1, 1), ("s", body, 2, 1)])
    assert outcomes == ["done", "done"]
    rows = store.query(f"SELECT k FROM {store.prefix}_rows ORDER BY k")
    assert [tuple(row) for row in rows] == [("1",), ("2",)]
    assert (threads == [threading.get_ident()] * 2) == inline, threads


def test_a_write_returning_rows_commits_on_either_backend(store):
    # The staff login counts a failed attempt with `UPDATE ... RETURNING` (desk/users.py).
    store.execute([Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)", ("a", 1))])
    rows = store.execute_returning(
        f"UPDATE {store.prefix}_rows SET v = v + 1 WHERE k = ? RETURNING k, v", ("a",))
    assert rows == [("a", 2)]
    assert store.query(f"SELECT v FROM {store.prefix}_rows WHERE k = ?", ("a",)) == [(2,)]


def test_grouped_work_is_stored_alone_or_not_at_all(store):
    """Concurrent request work shares a commit on SQLite, each item in a savepoint: a failing
    item is undone alone. PostgreSQL runs it in worker threads, each record committing on its
    own. Either way the failing item's future gets the error and the others stand."""
    def insert(key: str, value: int) -> str:
        store.execute([Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)", (key, value))])
        if key == "bad":
            raise ValueError("refused")
        return key

    futures = [store.grouped(insert, key, n) for n, key in enumerate(["x", "bad", "y"])]
    assert futures[0].result(10) == "x" and futures[2].result(10) == "y"
    with pytest.raises(ValueError, match="refused"):
        futures[1].result(10)
    kept = [("bad",), ("x",), ("y",)] if store.is_postgres else [("x",), ("y",)]
    assert store.query(f"SELECT k FROM {store.prefix}_rows ORDER BY k") == kept
