"""Queues and head-of-unit figures, read from the desk's ticket state rows."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ...platform.store import ServiceStore, utc_text


class QueueItem(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    kind: str
    subject: str
    channel: str
    status: str
    tier: str
    category: str | None
    priority: str | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    seconds_left: int | None  # until the nearest due time; negative when overdue
    overdue: bool


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    open: int
    overdue: int
    escalated: int
    closed: int
    closed_within_target: int
    closed_within_target_share: float | None
    breached: int
    by_category: dict[str, dict[str, int]]
    by_tier: dict[str, int]
    by_channel: dict[str, int]


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def queue(store: ServiceStore, tenant: str, now: datetime, tier: str | None = None,
          status: str | None = None, category: str | None = None,
          kind: str | None = None) -> list[QueueItem]:
    sql = (f"SELECT number, kind, subject, channel, status, tier, category, priority,"
           f" first_response_due, resolution_due FROM {store.prefix}_ticket_state"
           " WHERE tenant = ? AND status <> 'closed'")
    params: list = [tenant]
    for column, value in (("tier", tier), ("status", status), ("category", category),
                          ("kind", kind)):
        if value:
            sql += f" AND {column} = ?"
            params.append(value)
    items = []
    for number, knd, subject, channel, st, tr, cat, prio, first, resolution in store.query(sql, params):
        dues = [d for d in (_when(first), _when(resolution)) if d]
        left = int((min(dues) - now).total_seconds()) if dues else None
        items.append(QueueItem(
            number=number, kind=knd, subject=subject, channel=channel, status=st, tier=tr, category=cat,
            priority=prio, first_response_due=_when(first), resolution_due=_when(resolution),
            seconds_left=left, overdue=left is not None and left < 0,
        ))
    # Most urgent first; tickets whose clock is stopped (waiting for the reporter) last.
    return sorted(items, key=lambda i: (i.seconds_left is None, i.seconds_left or 0))


def figures(store: ServiceStore, tenant: str, now: datetime) -> Figures:
    rows = store.query(
        f"SELECT status, tier, category, channel, resolution_due, resolution_target, closed_at,"
        f" escalations, breached FROM {store.prefix}_ticket_state WHERE tenant = ?", (tenant,))
    stamp = utc_text(now)
    counts = dict(open=0, overdue=0, escalated=0, closed=0, within=0, breached=0)
    by_category: dict[str, dict[str, int]] = {}
    by_tier: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for status, tier, category, channel, due, target, closed_at, escalations, breached in rows:
        closed = status == "closed"
        counts["closed" if closed else "open"] += 1
        counts["overdue"] += int(not closed and due is not None and due < stamp)
        counts["escalated"] += int(escalations > 0)
        counts["within"] += int(closed and target is not None and closed_at <= target)
        counts["breached"] += breached
        slot = by_category.setdefault(category or "belum_diklasifikasi", {"open": 0, "closed": 0})
        slot["closed" if closed else "open"] += 1
        if not closed:
            by_tier[tier] = by_tier.get(tier, 0) + 1
        by_channel[channel] = by_channel.get(channel, 0) + 1
    return Figures(
        tenant=tenant, open=counts["open"], overdue=counts["overdue"],
        escalated=counts["escalated"], closed=counts["closed"],
        closed_within_target=counts["within"],
        closed_within_target_share=round(counts["within"] / counts["closed"], 3)
        if counts["closed"] else None,
        breached=counts["breached"], by_category=by_category, by_tier=by_tier,
        by_channel=by_channel,
    )
