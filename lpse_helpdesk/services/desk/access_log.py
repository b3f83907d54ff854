"""Who opened whose personal data: a row per staff member, ticket, kind of access, address and
time, in the desk's store, for a breach report (UU PDP 27/2022 Pasal 46: 3 x 24 hours).

Logged where personal data leaves the desk for a staff member: the ticket's view (the staff
ticket page and `GET /api/v1/tickets/{number}` both read it: the reporter's identity, documents
and attachments), an attachment's download, and an export. A reporter's own views are not.

Writing a row per page view in the view's own transaction would put a write (and the SQLite
write lock the worker also takes) on every read; instead rows wait in memory and one write
stores them a moment later (`FLUSH_SECONDS`). A crash loses at most that moment's rows. The
same staff member opening the same ticket from the same address again within `REPEAT_SECONDS`
is one row (the page polls the API after every action). Bounds: rows older than
`RETENTION_DAYS` and beyond `MAX_ROWS` are deleted, at most once an hour; at most
`MAX_PENDING` rows wait in memory.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from ...platform.store import ServiceStore, Write, from_utc_text, utc_text

log = logging.getLogger("lpse_helpdesk.desk.access_log")

TABLES = (
    ("CREATE TABLE IF NOT EXISTS {p}_personal_access ("
     " at TEXT NOT NULL, tenant TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,"
     " number TEXT NOT NULL, action TEXT NOT NULL, address TEXT NOT NULL)"),
    "CREATE INDEX IF NOT EXISTS {n}_personal_access_at ON {p}_personal_access (tenant, at)",
)
FLUSH_SECONDS = 0.5
REPEAT_SECONDS = 60.0
RETENTION_DAYS = 730  # our choice: two years of breach history; UU PDP names no period
MAX_ROWS = 2_000_000
MAX_PENDING = 10_000
PRUNE_SECONDS = 3600.0
# The kinds of access, as the export names them.
ACTIONS = {"lihat_tiket": "melihat tiket (identitas, dokumen, lampiran)",
           "unduh_lampiran": "mengunduh lampiran", "ekspor": "mengekspor data pribadi"}


class AccessLog:
    """The desk's access log: `note` from the event loop, rows stored in batches."""

    def __init__(self, store: ServiceStore, now):
        self.store, self.now = store, now
        self._pending: list[tuple] = []
        self._recent: dict[tuple, float] = {}
        self._flusher: asyncio.Task | None = None
        self._pruned_at = 0.0

    def note(self, tenant: str, username: str, role: str, number: str, action: str,
             address: str) -> None:
        """One access (call it once the data was read). `tenant` may be "" when the caller
        does not know it: the write finds the ticket's."""
        key = (username, number, action, address)
        moment = clock.monotonic()
        if moment - self._recent.get(key, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return
        if len(self._recent) > MAX_PENDING:  # forget old marks; a repeat row is harmless
            self._recent = {k: t for k, t in self._recent.items()
                            if moment - t < REPEAT_SECONDS}
        self._recent[key] = moment
        if len(self._pending) >= MAX_PENDING:
            log.warning("log akses data pribadi penuh; akses %s oleh %s tidak dicatat",
                        number, username)
            return
        self._pending.append((utc_text(self.now()), tenant, username, role, number[:64],
                              action, address[:64]))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Store the waiting rows now (an export calls it first, so it sees its own process's
        latest accesses)."""
        rows, self._pending = self._pending, []
        if rows:
            try:
                await asyncio.to_thread(write, self.store, rows, self._due_prune())
            except Exception as exc:  # noqa: BLE001 - e.g. the store closing: said in the log
                log.warning("log akses data pribadi: %d baris gagal disimpan: %r", len(rows), exc)

    def _due_prune(self) -> bool:
        moment = clock.monotonic()
        if moment - self._pruned_at < PRUNE_SECONDS:
            return False
        self._pruned_at = moment
        return True


def write(store: ServiceStore, rows: list[tuple], prune: bool = False) -> None:
    """Store access rows (a row without a tenant gets its ticket's), and apply the bounds."""
    p = store.prefix
    filled = []
    for at, tenant, *rest in rows:
        if not tenant:
            found = store.query(f"SELECT tenant FROM {p}_ticket_state WHERE number = ?",
                                (rest[2],))
            tenant = found[0][0] if found else ""
        filled.append(Write(f"INSERT INTO {p}_personal_access (at, tenant, username, role,"
                            " number, action, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (at, tenant, *rest)))
    store.execute(filled)
    if prune:
        newest = rows[-1][0]
        oldest = utc_text(from_utc_text(newest) - timedelta(days=RETENTION_DAYS))
        store.execute([
            Write(f"DELETE FROM {p}_personal_access WHERE at < ?", (oldest,)),
            Write(f"DELETE FROM {p}_personal_access WHERE at <= (SELECT at FROM"
                  f" {p}_personal_access ORDER BY at DESC LIMIT 1 OFFSET {MAX_ROWS})"),
        ])


def write_now(store: ServiceStore, now: datetime, tenant: str, username: str, role: str,
              numbers: list[str], action: str, address: str) -> None:
    """Rows for an access outside a served request (the command line's export), at once."""
    if numbers:
        write(store, [(utc_text(now), tenant, username, role, number[:64], action, address[:64])
                      for number in numbers])


def parse_since(text: str, zone) -> datetime:
    """`YYYY-MM-DD` (the start of that day in the unit's zone) or an ISO time; ValueError
    otherwise."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def entries(store: ServiceStore, tenant: str, since: datetime, until: datetime | None = None,
            limit: int | None = None) -> list[tuple]:
    """The unit's rows from `since` (to `until`), newest first: (at, username, role, number,
    action, address); `tenant` "*" is every unit."""
    p = store.prefix
    sql = (f"SELECT at, tenant, username, role, number, action, address FROM {p}_personal_access"
           " WHERE at >= ?")
    params: list = [utc_text(since)]
    if tenant != "*":
        sql += " AND tenant = ?"
        params.append(tenant)
    if until is not None:
        sql += " AND at < ?"
        params.append(utc_text(until))
    sql += " ORDER BY at DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return [tuple(row) for row in store.query(sql, params)]


CSV_HEADER = ("waktu", "waktu_utc", "unit", "petugas", "peran", "nomor_tiket", "jenis_akses",
              "alamat_ip")


def as_csv(rows: list[tuple], zone, header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_HEADER)
    for at, tenant, username, role, number, action, address in rows:
        moment = from_utc_text(at)
        writer.writerow((moment.astimezone(zone).isoformat(timespec="seconds"),
                         moment.astimezone(UTC).isoformat(timespec="seconds"), tenant,
                         username, role, number, action, address))
    return out.getvalue()


STREAM_WINDOW = timedelta(days=7)


def csv_chunks(store: ServiceStore, tenant: str, since: datetime, until: datetime,
               zone) -> Iterator[bytes]:
    """`as_csv` of `entries` from `since` to `until`, newest first, a week at a time: the
    export of a long period (up to `RETENTION_DAYS`) is streamed, never held whole. The weeks
    split the period without overlap, so every row comes once."""
    yield as_csv([], zone).encode("utf-8")
    where, params = ("WHERE tenant = ?", (tenant,)) if tenant != "*" else ("", ())
    (oldest,), = store.query(f"SELECT MIN(at) FROM {store.prefix}_personal_access {where}", params)
    if oldest is None:
        return
    since = max(since, from_utc_text(oldest))  # no empty weeks before the first row
    end = until
    while end > since:
        start = max(since, end - STREAM_WINDOW)
        rows = entries(store, tenant, start, end)
        if rows:
            yield as_csv(rows, zone, header=False).encode("utf-8")
        end = start
