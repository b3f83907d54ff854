"""Staff search over every ticket of a unit, open and closed, a page at a time.

Read from the desk's state rows (`views.py`): `search_text` holds the ticket's number, subject,
description and the reporter's name, e-mail and organisation, case-folded by Python when the
row is written, so one `LIKE` per word of the query matches alike on SQLite and PostgreSQL
(whose own `lower()` would differ on non-ASCII letters). Every word must occur somewhere.
The indexes that serve it (`readindex.py`): on SQLite one holding the unit's tickets newest
first with this column and every filter, so the page reads no table row but its own and the
count reads one index entry per ticket of the unit; on PostgreSQL a trigram index.

The order is stable: newest received first, the number breaking ties, so a page shows the same
tickets however often it is read while nothing is received.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import msgspec

from ...platform.store import ServiceStore, from_utc_text, utc_text
from .reports import BadPeriod

PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_WORDS = 8
# Filters that are one column's exact value.
EXACT = ("status", "category", "tier", "channel", "kind", "assignee")


class Found(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    subject: str
    kind: str
    channel: str
    status: str
    tier: str
    category: str | None
    priority: str | None
    received_at: datetime
    closed_at: datetime | None
    assignee: str
    reporter_name: str


class SearchPage(msgspec.Struct, frozen=True, kw_only=True):
    total: int  # tickets matching, over every page
    page: int
    per_page: int
    pages: int
    items: list[Found]


def like(word: str) -> str:
    """`word` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\\` taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def day_bounds(zone, date_from: str | None, date_to: str | None) -> tuple[str | None, str | None]:
    """`from`..`to` (the unit's days, inclusive; either may be absent) as UTC text [low, high)."""
    def parse(field: str, text: str | None) -> date | None:
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise BadPeriod(field, f"Tanggal `{field}` tidak sah: {text[:40]!r}; gunakan format "
                                   "YYYY-MM-DD / invalid date") from None

    start, end = parse("from", date_from), parse("to", date_to)
    if start and end and start > end:
        raise BadPeriod("from", f"Tanggal `from` ({start}) sesudah `to` ({end}) / from is after to")
    low = utc_text(datetime.combine(start, time(0), tzinfo=zone)) if start else None
    high = (utc_text(datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone))
            if end else None)
    return low, high


def search(store: ServiceStore, tenant: str, zone, q: str = "", page: int = 1,
           per_page: int = PER_PAGE, date_from: str | None = None, date_to: str | None = None,
           **filters: str | None) -> SearchPage:
    """The unit's tickets matching every word of `q` and each filter given (`EXACT`, by
    name), received within `date_from`..`date_to`; page `page` of `per_page`."""
    where, params = ["tenant = ?"], [tenant]
    for word in q.casefold().split()[:MAX_WORDS]:
        where.append("search_text LIKE ? ESCAPE '\\'")
        params.append(like(word))
    for column in EXACT:
        if filters.get(column):
            where.append(f"{column} = ?")
            params.append(filters[column])
    low, high = day_bounds(zone, date_from, date_to)
    if low:
        where.append("received_at >= ?")
        params.append(low)
    if high:
        where.append("received_at < ?")
        params.append(high)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    table, condition = f"{store.prefix}_ticket_state", " AND ".join(where)
    total = int(store.query(f"SELECT COUNT(*) FROM {table} WHERE {condition}", params)[0][0])
    pages = max(1, -(-total // per_page))
    page = max(1, page)
    rows = store.query(
        f"SELECT number, subject, kind, channel, status, tier, category, priority, received_at,"
        f" closed_at, assignee, reporter_name FROM {table} WHERE {condition}"
        " ORDER BY received_at DESC, number DESC LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page])
    items = [Found(number=number, subject=subject, kind=kind, channel=channel, status=status,
                   tier=tier, category=category, priority=priority,
                   received_at=from_utc_text(received),
                   closed_at=from_utc_text(closed) if closed and status == "closed" else None,
                   assignee=assignee, reporter_name=reporter)
             for (number, subject, kind, channel, status, tier, category, priority, received,
                  closed, assignee, reporter) in rows]
    return SearchPage(total=total, page=page, per_page=per_page, pages=pages, items=items)
