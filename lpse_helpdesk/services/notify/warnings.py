"""SLA warnings: staff of the acting tier are told once, before a clock runs out.

Every ticket event re-folds the ticket's clocks (the same fold the escalation timer uses) and
keeps one watch row per running clock; a warning is due three quarters of the way from the
ticket's receipt to the due time. (Anchored to receipt, not to the latest event: otherwise
every event, even a notification, would push the warning further out.) The warning's mail row and its guard row are stored together,
so it is sent once per due time, across restarts.
"""

from __future__ import annotations

from datetime import datetime

from ...platform.store import ServiceStore, Write, utc_text
from ...sla.tickets import fold_clocks

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_sla_watch ("
    " ticket_id TEXT NOT NULL, target TEXT NOT NULL, tenant TEXT NOT NULL, tier TEXT NOT NULL,"
    " due_at TEXT, warn_at TEXT, PRIMARY KEY (ticket_id, target))",
    "CREATE TABLE IF NOT EXISTS {p}_sla_warned ("
    " ticket_id TEXT NOT NULL, target TEXT NOT NULL, due_at TEXT NOT NULL,"
    " PRIMARY KEY (ticket_id, target, due_at))",
)


def watch(store: ServiceStore, events, standard, started: datetime) -> list[Write]:
    rows = []
    for clock in fold_clocks(events, standard):
        due = clock.due_at if not clock.met else None
        warn = started + (due - started) * 0.75 if due and due > started else None
        rows.append(Write(
            f"INSERT INTO {store.prefix}_sla_watch VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT"
            " (ticket_id, target) DO UPDATE SET tier = excluded.tier, due_at = excluded.due_at,"
            " warn_at = excluded.warn_at",
            (str(events[0].ticket_id), clock.target, events[0].tenant, clock.tier,
             utc_text(due), utc_text(warn)),
        ))
    return rows


def due_warnings(store: ServiceStore, now_text: str) -> list[tuple]:
    p = store.prefix
    return store.query(
        f"SELECT w.ticket_id, w.target, w.tenant, w.tier, w.due_at FROM {p}_sla_watch w"
        " WHERE w.warn_at IS NOT NULL AND w.warn_at <= ? AND w.due_at > ? AND NOT EXISTS"
        f" (SELECT 1 FROM {p}_sla_warned x WHERE x.ticket_id = w.ticket_id"
        " AND x.target = w.target AND x.due_at = w.due_at)", (now_text, now_text))


def warned(store: ServiceStore, ticket_id: str, target: str, due_at: str) -> Write:
    return Write(f"INSERT INTO {store.prefix}_sla_warned VALUES (?, ?, ?)",
                 (ticket_id, target, due_at))
