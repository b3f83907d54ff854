"""Where the ticket keys are kept: a SQLite file of their own, PostgreSQL tables of their own, or
memory (unit tests). Each backend stores three things:
- `keys` (tenant, ticket_id) -> the ticket's 32-byte AES key;
- `persons` (tenant, HMAC of the normalised e-mail, ticket_id): whose tickets they are, without
  the address in clear;
- `parts` (tenant, ticket_id, attachment id): the files of a ticket, whose keys (kept in `keys`
  under the tenant `*`, as they are stored before their ticket exists) go with the ticket's;
- `forgotten` (tenant, ticket_id): the tickets whose key was deleted, so a key is never made
  again for them and an erase can be told from a ticket that never had a key.

Deleting must leave no copy of the key behind: SQLite runs with `secure_delete` (freed cells are
zeroed) and checkpoints its WAL with TRUNCATE after a delete, so the WAL file is empty again.

A new key is committed without waiting for the disk (`synchronous=NORMAL`) and made durable
with the others of its moment by one fsync of the WAL at most `SYNC_EVERY_S` later: each
received ticket makes a key inside intake's single writer, where an fsync each (2.5 ms on the
development disk) halved the tickets a second (docs/privacy.md, "Cost"). A crash of the process
loses nothing; a power loss may lose the keys of the last half second's tickets, whose personal
data then reads as erased. Deletions are durable at once (the checkpoint syncs the file).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

Row = tuple[str, str]  # (tenant, ticket_id as text)
SYNC_EVERY_S = 0.5

TABLES = (
    ("CREATE TABLE IF NOT EXISTS {p}keys (tenant TEXT NOT NULL, ticket_id TEXT NOT NULL,"
    " key {blob} NOT NULL, PRIMARY KEY (tenant, ticket_id))"),
    ("CREATE TABLE IF NOT EXISTS {p}persons (tenant TEXT NOT NULL, person TEXT NOT NULL,"
    " ticket_id TEXT NOT NULL, PRIMARY KEY (tenant, person, ticket_id))"),
    ("CREATE TABLE IF NOT EXISTS {p}parts (tenant TEXT NOT NULL, ticket_id TEXT NOT NULL,"
    " part TEXT NOT NULL, PRIMARY KEY (tenant, ticket_id, part))"),
    ("CREATE TABLE IF NOT EXISTS {p}forgotten (tenant TEXT NOT NULL, ticket_id TEXT NOT NULL,"
    " forgotten_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (tenant, ticket_id))"),
)


class Backend(Protocol):
    def get(self, tenant: str, ticket_id: str) -> bytes | None: ...

    def create(self, tenant: str, ticket_id: str, key: bytes,
               person: str | None = None) -> bytes | None:
        """Insert `key` unless a key exists (then that one) or the ticket was forgotten
        (then None); and link `person` to the ticket in the same transaction (one commit
        for a new ticket, not two)."""

    def link(self, tenant: str, person: str, ticket_id: str) -> None: ...

    def add_parts(self, tenant: str, ticket_id: str, parts: list[str]) -> None: ...

    def tickets(self, tenant: str, person: str) -> list[str]: ...

    def forget(self, tenant: str, ticket_ids: list[str]) -> tuple[int, list[str]]:
        """Delete the tickets' keys, index rows and parts' keys: (keys deleted, parts)."""

    def forgotten(self, tenant: str, ticket_id: str) -> bool: ...

    def close(self) -> None: ...


class MemoryBackend:
    """Keys in this process only: for unit tests that must not touch the disk."""

    def __init__(self) -> None:
        self._keys: dict[Row, bytes] = {}
        self._persons: set[tuple[str, str, str]] = set()
        self._forgotten: set[Row] = set()
        self._parts: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def get(self, tenant, ticket_id):
        return self._keys.get((tenant, ticket_id))

    def create(self, tenant, ticket_id, key, person=None):
        with self._lock:
            if (tenant, ticket_id) in self._forgotten:
                return None
            if person is not None:
                self._persons.add((tenant, person, ticket_id))
            return self._keys.setdefault((tenant, ticket_id), key)

    def link(self, tenant, person, ticket_id):
        self._persons.add((tenant, person, ticket_id))

    def add_parts(self, tenant, ticket_id, parts):
        self._parts |= {(tenant, ticket_id, part) for part in parts}

    def tickets(self, tenant, person):
        return sorted(t for (n, p, t) in self._persons if n == tenant and p == person)

    def forget(self, tenant, ticket_ids):
        with self._lock:
            gone, parts = 0, []
            for ticket_id in ticket_ids:
                gone += self._keys.pop((tenant, ticket_id), None) is not None
                self._forgotten.add((tenant, ticket_id))
                for row in [r for r in self._parts if r[:2] == (tenant, ticket_id)]:
                    self._keys.pop(("*", row[2]), None)
                    self._forgotten.add(("*", row[2]))
                    self._parts.discard(row)
                    parts.append(row[2])
            self._persons = {row for row in self._persons
                             if not (row[0] == tenant and row[2] in ticket_ids)}
            return gone, parts

    def forgotten(self, tenant, ticket_id):
        return (tenant, ticket_id) in self._forgotten

    def close(self):
        pass


class SQLiteBackend:
    """`<data dir>/keys.sqlite`, shared by every process of the helpdesk on this machine."""

    def __init__(self, path: Path):
        self.path = path
        self._db = sqlite3.connect(path, timeout=10, check_same_thread=False,
                                   isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for ddl in TABLES:
                self._db.execute(ddl.format(p="", blob="BLOB"))
        self._written, self._closed = threading.Event(), threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, daemon=True,
                                        name="keystore-sync")
        self._syncer.start()

    def _sync_loop(self) -> None:
        while True:
            self._written.wait()
            if self._closed.wait(SYNC_EVERY_S):  # gather the writes of the moment
                return
            self._written.clear()
            self.sync()

    def sync(self) -> None:
        """The committed writes on disk: one fsync of the WAL."""
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:  # checkpointed and emptied: in the file already
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _one(self, sql, params):
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def get(self, tenant, ticket_id):
        row = self._one("SELECT key FROM keys WHERE tenant = ? AND ticket_id = ?",
                        (tenant, ticket_id))
        return bytes(row[0]) if row else None

    def create(self, tenant, ticket_id, key, person=None):
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("SELECT 1 FROM forgotten WHERE tenant = ? AND ticket_id = ?",
                              (tenant, ticket_id)).fetchone():
                    db.execute("COMMIT")
                    return None
                db.execute("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)",
                           (tenant, ticket_id, key))
                if person is not None:
                    db.execute("INSERT OR IGNORE INTO persons VALUES (?, ?, ?)",
                               (tenant, person, ticket_id))
                row = db.execute("SELECT key FROM keys WHERE tenant = ? AND ticket_id = ?",
                                 (tenant, ticket_id)).fetchone()
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            self._written.set()
            return bytes(row[0])

    def link(self, tenant, person, ticket_id):
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO persons VALUES (?, ?, ?)",
                             (tenant, person, ticket_id))
            self._written.set()

    def add_parts(self, tenant, ticket_id, parts):
        with self._lock:  # read first: an event encoded again must not cost a commit
            known = {row[0] for row in self._db.execute(
                "SELECT part FROM parts WHERE tenant = ? AND ticket_id = ?", (tenant, ticket_id))}
            missing = [part for part in parts if part not in known]
            if missing:
                self._db.executemany("INSERT OR IGNORE INTO parts VALUES (?, ?, ?)",
                                     [(tenant, ticket_id, part) for part in missing])
                self._written.set()

    def tickets(self, tenant, person):
        with self._lock:
            rows = self._db.execute(
                "SELECT ticket_id FROM persons WHERE tenant = ? AND person = ? ORDER BY 1",
                (tenant, person)).fetchall()
        return [row[0] for row in rows]

    def forget(self, tenant, ticket_ids):
        with self._lock:
            db, now = self._db, time.time()
            db.execute("BEGIN IMMEDIATE")
            try:
                gone, parts = 0, []
                for ticket_id in ticket_ids:
                    gone += db.execute("DELETE FROM keys WHERE tenant = ? AND ticket_id = ?",
                                       (tenant, ticket_id)).rowcount
                    for (part,) in db.execute("SELECT part FROM parts WHERE tenant = ? AND"
                                              " ticket_id = ?", (tenant, ticket_id)).fetchall():
                        parts.append(part)
                        db.execute("DELETE FROM keys WHERE tenant = '*' AND ticket_id = ?",
                                   (part,))
                        db.execute("INSERT OR IGNORE INTO forgotten VALUES ('*', ?, ?)",
                                   (part, now))
                    db.execute("DELETE FROM parts WHERE tenant = ? AND ticket_id = ?",
                               (tenant, ticket_id))
                    db.execute("DELETE FROM persons WHERE tenant = ? AND ticket_id = ?",
                               (tenant, ticket_id))
                    db.execute("INSERT OR IGNORE INTO forgotten VALUES (?, ?, ?)",
                               (tenant, ticket_id, now))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            self._checkpoint()
            return gone, parts

    def _checkpoint(self) -> None:
        """Move the WAL into the file (where secure_delete zeroed the key) and empty the WAL.
        A reader in another process can hold the checkpoint back: retried for a while."""
        for _ in range(100):
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.path}: WAL tidak dapat dikosongkan / checkpoint stays busy")

    def forgotten(self, tenant, ticket_id):
        return self._one("SELECT 1 FROM forgotten WHERE tenant = ? AND ticket_id = ?",
                         (tenant, ticket_id)) is not None

    def close(self):
        self._closed.set()
        self._written.set()
        self._syncer.join()
        with self._lock:
            self.sync()
            self._db.close()
