"""`lpse-helpdesk personal-data seal-existing`: the events stored before personal data was
sealed, rewritten sealed in place, in every service's store (docs/privacy.md).

Run it with the helpdesk stopped (a running relay could publish a row between its read and its
rewrite; nothing is lost then, but that copy in the stream stays plaintext). Rewritten are:
- each store's stored events (eventsourcing's table): what the relays publish and a refill
  republishes;
- desk's event history (`desk_ticket_events`), the webhook deliveries not yet made
  (`notify_webhooks`) and every store's dead letters: copies of event bytes.
An event already sealed, or with nothing personal, is left as it is, so the command can be run
again after an interruption. Each event keeps its id, place and topic; only its bytes change.
Afterwards SQLite files are vacuumed, so the plaintext of the old rows leaves no free page.

The stream still holds the old plaintext messages: refill it from the stores afterwards
(`lpse-helpdesk stream refill --purge`), or, where that command does not exist, purge the
stream and let the relays republish. Attachment files stored before encryption stay as they
are (served as they are) until they are erased.
"""

from __future__ import annotations

import base64
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from .schemas import decode_event, encode_event, sealing

PAGE = 500


def _resealed(data: bytes) -> bytes | None:
    """The sealed bytes of a plaintext personal event; None when there is nothing to do."""
    if sealing.split(data)[1] is not None:
        return None
    event = decode_event(data)
    if type(event) not in sealing.SPECS:
        return None
    sealed = encode_event(event)
    return None if sealed == data else sealed  # the same: nothing of this one is personal


def _events_table(store) -> str:
    recorder = store.recorder
    name = recorder.events_table_name
    return f'"{recorder.datastore.schema}".{name}' if store.backend.is_postgres else name


def _pages(store, sql: str, first: object) -> Iterator[list[tuple]]:
    """The rows of `sql` (ordered by its first column, `?` = the last one seen, `first` below
    every key) a page at a time, so a store of millions of events is not read at once."""
    last = first
    while True:
        rows = store.query(sql + f" ORDER BY 1 LIMIT {PAGE}", (last,))
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rewrite(store, sql: str, update: str, encode: Callable[[bytes], object],
             decode: Callable[[object], bytes], first: object = "") -> int:
    """Every row of `sql` (key, bytes) whose event is plaintext rewritten by `update`."""
    from .platform.store import Write

    done = 0
    for rows in _pages(store, sql, first):
        writes = []
        for key, body in rows:
            sealed = _resealed(decode(body))
            if sealed is not None:
                writes.append(Write(update, (encode(sealed), key)))
        if writes:
            store.execute(writes)
            done += len(writes)
    return done


def _tables(store) -> dict[str, int]:
    """Each table's rewritten count, for one store."""
    p, found = store.prefix, {}
    names = {row[0].lower() for row in store.query(
        "SELECT table_name FROM information_schema.tables" if store.backend.is_postgres
        else "SELECT name FROM sqlite_master WHERE type = 'table'", ())}
    table = _events_table(store)
    key = "notification_id" if store.backend.is_postgres else "rowid"
    found["events"] = _rewrite(
        store, f"SELECT {key}, state FROM {table} WHERE {key} > ?",
        f"UPDATE {table} SET state = ? WHERE {key} = ?", lambda b: b, bytes, first=0)
    bare = p.split(".")[-1].lower()
    if f"{bare}_ticket_events" in names:
        found["history"] = _rewrite(
            store, f"SELECT event_id, body FROM {p}_ticket_events WHERE event_id > ?",
            f"UPDATE {p}_ticket_events SET body = ? WHERE event_id = ?",
            bytes.decode, str.encode)
    if f"{bare}_webhooks" in names:
        found["webhooks"] = _rewrite(
            store, f"SELECT id, body FROM {p}_webhooks WHERE id > ? AND status != 'delivered'",
            f"UPDATE {p}_webhooks SET body = ? WHERE id = ?", bytes.decode, str.encode)
    if f"{bare}_dead_letters" in names:
        found["dead_letters"] = _rewrite(
            store, f"SELECT consumer || ':' || stream_seq, payload FROM {p}_dead_letters"
            " WHERE consumer || ':' || stream_seq > ?",
            f"UPDATE {p}_dead_letters SET payload = ? WHERE consumer || ':' || stream_seq = ?",
            lambda b: base64.b64encode(b).decode(), base64.b64decode)
    return found


def _vacuum(path: Path) -> None:
    """Free pages of a SQLite file still hold the rows as they were: rebuild the file, and
    empty its WAL."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def seal_existing(settings, out=None, err=None) -> int:
    """Rewrite every service store's plaintext personal events sealed; progress on `err`."""
    out, err = out or sys.stdout, err or sys.stderr
    from . import bootstrap
    from .services import NAMES, definition

    total = 0
    for name in NAMES:
        if name == "web":  # no store of events
            continue
        store = bootstrap.open_store(definition(name), settings)
        try:
            print(f"… {name}", file=err, flush=True)
            counts = _tables(store)
        finally:
            store.close()
        if not settings.uses_postgres:
            _vacuum(settings.data_dir / f"{name}.sqlite")
        total += sum(counts.values())
        shown = ", ".join(f"{table} {n}" for table, n in counts.items())
        print(f"{name}: {shown} event disegel / sealed", file=out, flush=True)
    print(f"Selesai / done: {total} event disegel. Isi ulang stream dari penyimpanan "
          "(`lpse-helpdesk stream refill --purge`) / refill the stream now.", file=out)
    return 0
