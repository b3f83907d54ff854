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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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


def sent(store: ServiceStore, template: str, recipient: str, now: datetime) -> list[Write]:
    """Rows to store with a mail's "sent" outcome (only mails to reporters are counted)."""
    if template not in REPORTER_TEMPLATES:
        return []
    return [Write(f"INSERT INTO {store.prefix}_mail_sends VALUES (?, ?)",
                  (budget_key(recipient), utc_text(now)))]


def bounced(store: ServiceStore, recipient: str, reason: str, now: datetime) -> Write:
    return Write(f"INSERT INTO {store.prefix}_mail_bounced VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                 (bounce_key(recipient), utc_text(now), reason[:500]))


def prune(store: ServiceStore, now: datetime) -> None:
    """Counts older than the window are no longer needed."""
    store.execute([Write(f"DELETE FROM {store.prefix}_mail_sends WHERE sent_at <= ?",
                         (utc_text(now - WINDOW),))])
