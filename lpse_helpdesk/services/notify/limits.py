"""Who may not be mailed: the guard that keeps the unit's address from becoming a spam cannon.

Anyone can post a ticket with someone else's address, and every post made the unit send a
receipt there. So mails to a reporter's address (never to the unit's own mailboxes, which the
unit configures itself) are counted per address over the last hour, and those over
`Settings.reporter_mails_per_hour` are not sent; an address the mail server refused with a
permanent 5xx (a hard bounce), or whose owner asked to stop (stop.py), gets no more mail at
all. A mail held back is recorded like any outcome, with its reason, so staff see on the ticket
why the reporter was not told.

Checked when the mail is sent, not when it is decided: the count is of mails that really left.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

from ...platform.store import ServiceStore, Write, utc_text
from .decisions import REPORTER_TEMPLATES

WINDOW = timedelta(hours=1)
STOPPED = "diminta berhenti"  # the reason kept for an address whose owner asked to stop

TABLES = (
    # One row per mail that left for a reporter, under the address's budget key.
    "CREATE TABLE IF NOT EXISTS {p}_mail_sends (key TEXT NOT NULL, sent_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}_mail_sends_key ON {p}_mail_sends (key, sent_at)",
    "CREATE TABLE IF NOT EXISTS {p}_mail_bounced ("
    " address TEXT PRIMARY KEY, bounced_at TEXT NOT NULL, reason TEXT NOT NULL)",
)


def budget_key(address: str) -> str:
    """The mailbox an address reaches: case and a `+tag` would otherwise give an attacker a
    fresh budget for the same person's inbox with every variant."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def bounce_key(address: str) -> str:
    return address.strip().lower()


@dataclass
class Gate:
    """The guard for one round of mails: what was sent in the last hour and what bounced,
    read once, then kept up to date as the round sends."""

    limit: int
    sent: Counter = field(default_factory=Counter)
    bounced: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)

    def reason(self, template: str, recipient: str) -> str | None:
        """Why this mail must not go out (Bahasa Indonesia: staff read it), or None."""
        if template not in REPORTER_TEMPLATES:
            return None
        if bounce_key(recipient) in self.stopped:
            return "tidak dikirim: pemilik alamat ini meminta berhenti menerima surat helpdesk"
        if bounce_key(recipient) in self.bounced:
            return ("tidak dikirim: alamat ini pernah ditolak permanen oleh server surat"
                    " (bounce)")
        if self.sent[budget_key(recipient)] >= self.limit:
            return (f"tidak dikirim: batas {self.limit} surat per jam ke alamat ini tercapai"
                    " (pencegahan spam)")
        return None

    def count(self, template: str, recipient: str) -> None:
        if template in REPORTER_TEMPLATES:
            self.sent[budget_key(recipient)] += 1


def load(store: ServiceStore, limit: int, recipients: Iterable[str], now: datetime) -> Gate:
    gate = Gate(limit)
    recipients = set(recipients)
    if not recipients:
        return gate
    keys = sorted({budget_key(r) for r in recipients})
    marks = ", ".join("?" * len(keys))
    gate.sent.update(dict(store.query(
        f"SELECT key, COUNT(*) FROM {store.prefix}_mail_sends WHERE sent_at > ? AND key IN"
        f" ({marks}) GROUP BY key", (utc_text(now - WINDOW), *keys))))
    addresses = sorted({bounce_key(r) for r in recipients})
    marks = ", ".join("?" * len(addresses))
    for address, reason in store.query(
            f"SELECT address, reason FROM {store.prefix}_mail_bounced WHERE address IN ({marks})",
            tuple(addresses)):
        (gate.stopped if reason == STOPPED else gate.bounced).add(address)
    return gate


def sent(store: ServiceStore, template: str, recipient: str, now: datetime,
         mail_id: str) -> list[Write]:
    """Rows to store with a mail's "sent" outcome (only mails to reporters are counted), while
    the mail's row exists: an erasure that deleted it mid-send leaves no count of the address."""
    if template not in REPORTER_TEMPLATES:
        return []
    p = store.prefix
    return [Write(f"INSERT INTO {p}_mail_sends SELECT ?, ? WHERE EXISTS"
                  f" (SELECT 1 FROM {p}_mails WHERE id = ?)",
                  (budget_key(recipient), utc_text(now), mail_id))]


def bounced(store: ServiceStore, recipient: str, reason: str, now: datetime,
            mail_id: str | None = None) -> Write:
    """The address's bounce (or stop) record; for a bounce of a mail, only while that mail's
    row exists, so an erasure that deleted it mid-send leaves no record of the address."""
    p, row = store.prefix, (bounce_key(recipient), utc_text(now), reason[:500])
    if mail_id is None:
        return Write(f"INSERT INTO {p}_mail_bounced VALUES (?, ?, ?) ON CONFLICT DO NOTHING", row)
    return Write(f"INSERT INTO {p}_mail_bounced SELECT ?, ?, ? WHERE EXISTS"
                 f" (SELECT 1 FROM {p}_mails WHERE id = ?) ON CONFLICT DO NOTHING",
                 (*row, mail_id))


def prune(store: ServiceStore, now: datetime) -> None:
    """Counts older than the window are no longer needed."""
    store.execute([Write(f"DELETE FROM {store.prefix}_mail_sends WHERE sent_at <= ?",
                         (utc_text(now - WINDOW),))])


def held_back(settings, address: str, now: datetime) -> str | None:
    """Why a mail to `address` sent outside notify's own queue (desk's "Tiket saya" link) must
    not go out: the same stop list, bounce list and hourly count `Gate` applies, read from
    notify's tables in a connection of its own (desk's process may not host notify). None
    when it may go, or when notify has not made its tables yet (it has sent nothing)."""
    sql = (("SELECT address, reason FROM {p}_mail_bounced WHERE address = ?",
            (bounce_key(address),)),
           ("SELECT COUNT(*) FROM {p}_mail_sends WHERE key = ? AND sent_at > ?",
            (budget_key(address), utc_text(now - WINDOW))))
    if settings.database_url:
        rows = _postgres_rows(settings.database_url, sql)
    else:
        rows = _sqlite_rows(settings.data_dir / "notify.sqlite", sql)
    if rows is None:
        return None
    gate = Gate(settings.reporter_mails_per_hour)
    for found, reason in rows[0]:
        (gate.stopped if reason == STOPPED else gate.bounced).add(found)
    gate.sent[budget_key(address)] = rows[1][0][0] if rows[1] else 0
    return gate.reason("received", address)  # any mail to a reporter


def _sqlite_rows(path, statements) -> list[list[tuple]] | None:
    import sqlite3

    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                timeout=5)) as db:
            return [db.execute(q.format(p="notify"), params).fetchall()
                    for q, params in statements]
    except sqlite3.OperationalError:  # no such table yet
        return None


def _postgres_rows(database_url: str, statements) -> list[list[tuple]] | None:
    import psycopg  # the optional extra, only when PostgreSQL is configured

    url = urlparse(database_url)
    schema = parse_qs(url.query).get("schema", [""])[0]
    prefix = f'"{schema}".notify' if schema else "notify"
    with psycopg.connect(dbname=unquote(url.path.lstrip("/")) or "postgres",
                         host=url.hostname or "127.0.0.1", port=url.port or 5432,
                         user=unquote(url.username or "postgres"),
                         password=unquote(url.password or "") or None, autocommit=True) as db:
        try:
            return [db.execute(q.format(p=prefix).replace("?", "%s"), params).fetchall()
                    for q, params in statements]
        except psycopg.errors.UndefinedTable:
            return None
