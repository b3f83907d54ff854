"""The staff queue: a unit's open tickets, one page at a time, read from the desk's state rows.

A page is read in SQL (`platform/paging.keyset`), never the whole queue: the order is one sort
key then the ticket number (unique), so a page reads the same on every read and the cursor
`after` (the last row's key) goes on from exactly there. The counts of the whole queue (all
open tickets matching the filters, and how many of them are overdue) are one COUNT query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from ... import refusals
from ...platform import paging
from ...platform.store import ServiceStore, utc_text
from . import readindex

# Most urgent first: the nearest due time, in the order of its index (`readindex.py`).
NEAREST_DUE = readindex.NEAREST_DUE
PRIORITY_RANK = ("CASE priority WHEN 'tinggi' THEN 0 WHEN 'sedang' THEN 1"
                 " WHEN 'rendah' THEN 2 ELSE 9 END")
# `sort` names a field of `QueueItem` (or `urgency`, the default: most urgent first).
SORTS = {
    "urgency": NEAREST_DUE, "number": "number", "subject": "subject",
    "reporter_name": "reporter_name", "received_at": "received_at", "channel": "channel",
    "category": "COALESCE(category, '')", "priority": PRIORITY_RANK, "status": "status",
    "tier": "tier", "assignee": "assignee",
}
Sort = Literal["urgency", "number", "subject", "reporter_name", "received_at", "channel",
               "category", "priority", "status", "tier", "assignee"]
Order = Literal["asc", "desc"]
FILTERS = ("tier", "status", "category", "kind", "channel", "assignee")
COLUMNS = ("number, kind, subject, channel, status, tier, category, priority,"
           " first_response_due, resolution_due, needs_review, assignee, reporter_name,"
           " received_at, new_reply")


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
    needs_review: bool = False  # triage was unsure of the category: "perlu ditinjau"
    assignee: str = ""  # the username working it, "" for the unit's shared queue
    reporter_name: str = ""
    received_at: datetime | None = None
    new_reply: bool = False  # the reporter wrote after the last staff action


class QueuePage(msgspec.Struct, frozen=True):
    items: list[QueueItem]
    next: str | None  # the cursor of the next page, None on the last
    total: int  # open tickets matching the filters, on every page
    overdue: int  # of those, past their nearest due time


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _where(store: ServiceStore, tenant: str, filters: dict[str, str | None]) -> tuple[str, list]:
    sql = f" FROM {store.prefix}_ticket_state WHERE tenant = ? AND status <> 'closed'"
    params: list = [tenant]
    for column in FILTERS:
        if filters.get(column):
            sql += f" AND {column} = ?"
            params.append(filters[column])
    return sql, params


def _check_cursor(sort: str, after: str | None) -> None:
    """A cursor of another order (its key of another type) is refused here, not by the
    database (PostgreSQL will not compare a number with text)."""
    if not after:
        return
    first, number = paging.decode(after, 2)
    wanted = int if sort == "priority" else str
    if not isinstance(first, wanted) or isinstance(first, bool) or not isinstance(number, str):
        raise refusals.Invalid("Kursor `after` bukan untuk urutan ini / cursor of another "
                               "order", field="after")


def queue(store: ServiceStore, tenant: str, now: datetime, filters: dict[str, str | None],
          sort: str = "urgency", order: str = "asc", limit: int = paging.DEFAULT_LIMIT,
          after: str | None = None) -> QueuePage:
    paging.check_limit(limit)
    if sort not in SORTS:
        raise refusals.Invalid(f"Urutan `sort` tidak dikenal: {sort[:40]!r}", field="sort")
    _check_cursor(sort, after)
    where, params = _where(store, tenant, filters)
    condition, cursor_params, order_by = paging.keyset((SORTS[sort], "number"), after,
                                                       order == "desc")
    if after:  # the same bound once more as a range, so an index starts the page at the cursor
        condition += f" AND {SORTS[sort]} {'<=' if order == 'desc' else '>='} ?"
        cursor_params = [*cursor_params, cursor_params[0]]
    rows = store.query(f"SELECT {COLUMNS}, {SORTS[sort]}{where} AND {condition}"
                       f" ORDER BY {order_by} LIMIT ?", [*params, *cursor_params, limit + 1])
    stamp = utc_text(now)
    total, overdue = store.query(
        f"SELECT COUNT(*), SUM(CASE WHEN {NEAREST_DUE} < ? THEN 1 ELSE 0 END){where}",
        [stamp, *params])[0]
    items = []
    for (number, knd, subject, channel, st, tr, cat, prio, first, resolution,
         review, who, reporter, received, waiting, _key) in rows:
        dues = [d for d in (_when(first), _when(resolution)) if d]
        left = int((min(dues) - now).total_seconds()) if dues else None
        items.append(QueueItem(
            number=number, kind=knd, subject=subject, channel=channel, status=st, tier=tr,
            category=cat, priority=prio, first_response_due=_when(first),
            resolution_due=_when(resolution), seconds_left=left,
            overdue=left is not None and left < 0, needs_review=bool(review), assignee=who,
            reporter_name=reporter, received_at=_when(received), new_reply=bool(waiting),
        ))
    # The key is (sort value, number): the number breaks every tie.
    following = (paging.encode((rows[limit - 1][-1], rows[limit - 1][0]))
                 if len(rows) > limit else None)
    shown = items[:limit]
    return QueuePage(items=shown, next=following, total=int(total), overdue=int(overdue or 0))
