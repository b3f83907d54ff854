"""What every store does when a ticket's personal data is erased, beside its own scrub: drop the
ticket's dead letters, and leave no old copy of a scrubbed value in the database files.

SQLite keeps an overwritten or deleted value in the freed space of its pages unless
`secure_delete` is on (`store_sqlite.py` sets it on every connection of a store), and in the
WAL until a checkpoint moves the pages into the file and `TRUNCATE` empties the WAL. The
scrub's rows are written in the consumer's transaction, so the checkpoint follows it a moment
later, on a connection of its own (a second pass catches a commit that was slow). PostgreSQL
keeps dead rows until a vacuum; its files and WAL are outside the data folder
(docs/privacy.md).
"""

from __future__ import annotations

import base64
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from .store import ServiceStore, Write

log = logging.getLogger("lpse_helpdesk.privacy")
PASSES = (0.5, 3.0)  # seconds after the scrub: a checkpoint each
_pending: dict[str, threading.Timer] = {}
_lock = threading.Lock()


def dead_letters(store: ServiceStore, ticket_id: uuid.UUID) -> Write:
    """The ticket's dead letters (their payloads and errors may quote it) are deleted.

    A subject names no ticket (`codec.subject_for`), so a letter is the ticket's when its
    payload holds the ticket's id: every event's envelope has it in clear, sealed or not.
    Letters are few (each is a failure someone must look at), so all are read. The `LIKE` takes
    the letters kept under the earlier per-ticket subjects."""
    wanted = str(ticket_id).encode()
    rows = store.query(f"SELECT consumer, stream_seq, payload FROM {store.prefix}_dead_letters")
    keys = [f"{consumer}#{seq}" for consumer, seq, payload in rows
            if wanted in _payload(payload)]
    sql = f"DELETE FROM {store.prefix}_dead_letters WHERE subject LIKE ?"
    if keys:
        sql += (" OR (consumer || '#' || CAST(stream_seq AS TEXT)) IN"
                f" ({', '.join('?' * len(keys))})")
    return Write(sql, (f"%.ticket.{ticket_id}.%", *keys))


def _payload(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=False)
    except ValueError:  # not base64 (written by hand): read as it is
        return text.encode()


def sqlite_file(store: ServiceStore) -> Path | None:
    if store.is_postgres:
        return None
    name = store.backend.environment.get("SQLITE_DBNAME", "")
    return Path(name) if name and ":memory:" not in name else None


def checkpoint(path: Path, attempts: int = 100) -> bool:
    """Move the WAL into the file and empty it; False if readers kept it busy throughout."""
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete=ON")
        for _ in range(attempts):
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return True
            time.sleep(0.05)
        return False
    finally:
        db.close()


def wipe_soon(store: ServiceStore) -> None:
    """Checkpoint the store's SQLite file after the current transaction (see the module)."""
    path = sqlite_file(store)
    if path is None:
        return
    for delay in PASSES:
        key = f"{path}:{delay}"
        with _lock:
            if key in _pending:
                continue
            timer = _pending[key] = threading.Timer(delay, _wipe, (key, path))
            timer.daemon = True
            timer.start()


def _wipe(key: str, path: Path) -> None:
    with _lock:
        _pending.pop(key, None)
    try:
        if not checkpoint(path):
            log.warning("WAL %s masih dipakai; dicoba pada penghapusan berikutnya", path)
    except sqlite3.Error as exc:
        log.warning("checkpoint %s gagal: %r", path, exc)
