"""Head-of-unit figures and the unit's CSV report (the queue: `open_queue.py`), read from the
desk's ticket state rows, its ticket history and its survey rows.

A period (`from`, `to`) is a range of whole days in the unit's own time zone, both inclusive.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import msgspec

from ...platform.store import ServiceStore, from_utc_text, utc_text
from ...schemas.codec import decode_event
from .readindex import ESCALATION_TYPES, json_text, types_in
from ...schemas.survey import SKM_ELEMENTS, SKM_KEYS, ikm, mutu

DEFAULT_DAYS = 30
MAX_DAYS = 366


class DayCount(msgspec.Struct, frozen=True, kw_only=True):
    date: date
    received: int  # tickets received that day
    closed: int  # tickets closed that day (and still closed)


class ElementAverage(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # a field of `SkmScores`
    title: str  # the element's name in PermenPANRB 14/2017
    average: float | None  # 1-4, null without responses


class Satisfaction(msgspec.Struct, frozen=True, kw_only=True):
    """The SKM of the period: surveys submitted in it (PermenPANRB 14/2017)."""

    responses: int
    elements: list[ElementAverage]  # in the order of SKM_ELEMENTS
    ikm: float | None  # Indeks Kepuasan Masyarakat, 0-100 (mean score x 25), 2 decimals
    mutu: str | None  # A 88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99


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
    # Over the period (`from`..`to`, the unit's days, inclusive); the fields above are now.
    period_from: date = msgspec.field(name="from")
    period_to: date = msgspec.field(name="to")
    per_day: list[DayCount]
    escalations_by_tier: dict[str, int]  # escalations in the period, by the tier they reached
    satisfaction: Satisfaction


class BadPeriod(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def period(zone, now: datetime, date_from: str | None, date_to: str | None) -> tuple[date, date]:
    """The period asked for (ISO dates, inclusive); `to` defaults to today in the unit's zone,
    `from` to 30 days ending with `to`."""
    def parse(field: str, text: str | None) -> date | None:
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise BadPeriod(field, f"Tanggal `{field}` tidak sah: {text[:40]!r}; gunakan format "
                                   "YYYY-MM-DD / invalid date") from None

    end = parse("to", date_to) or now.astimezone(zone).date()
    start = parse("from", date_from) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadPeriod("from", f"Tanggal `from` ({start}) sesudah `to` ({end}) / from is after to")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadPeriod("to", f"Rentang paling lama {MAX_DAYS} hari / the period is too long")
    return start, end


def _bounds(zone, start: date, end: date) -> tuple[str, str]:
    """The period as UTC text bounds [low, high) comparable with the read-model columns."""
    low = datetime.combine(start, time(0), tzinfo=zone)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    return utc_text(low), utc_text(high)


def figures(store: ServiceStore, tenant: str, now: datetime, standard,
            start: date | None = None, end: date | None = None) -> Figures:
    """The unit's figures now, and over the period `start`..`end` (default: the last 30 days).
    Counted in SQL from indexes (`readindex.py`): the open tickets' rows, the closed tickets'
    index entries, and the period's ranges."""
    if start is None or end is None:
        start, end = period(standard.zone, now, None, None)
    p = store.prefix
    counts = dict(open=0, overdue=0, escalated=0, closed=0, within=0, breached=0)
    by_category: dict[str, dict[str, int]] = {}
    by_tier: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    opened = store.query(
        f"SELECT tier, category, channel, COUNT(*), SUM(CASE WHEN resolution_due < ? THEN 1"
        " ELSE 0 END), SUM(CASE WHEN escalations > 0 THEN 1 ELSE 0 END), SUM(breached)"
        f" FROM {p}_ticket_state WHERE tenant = ? AND status <> 'closed'"
        " GROUP BY tier, category, channel", (utc_text(now), tenant))
    closed = store.query(
        "SELECT '', category, channel, COUNT(*), SUM(CASE WHEN resolution_target IS NOT NULL"
        " AND closed_at <= resolution_target THEN 1 ELSE 0 END), SUM(CASE WHEN escalations > 0"
        f" THEN 1 ELSE 0 END), SUM(breached) FROM {p}_ticket_state WHERE tenant = ?"
        " AND status = 'closed' GROUP BY category, channel", (tenant,))
    for is_closed, rows in ((False, opened), (True, closed)):
        for tier, category, channel, count, late_or_within, escalated, breached in rows:
            count = int(count)
            counts["closed" if is_closed else "open"] += count
            counts["within" if is_closed else "overdue"] += int(late_or_within or 0)
            counts["escalated"] += int(escalated or 0)
            counts["breached"] += int(breached or 0)
            slot = by_category.setdefault(category or "belum_diklasifikasi",
                                          {"open": 0, "closed": 0})
            slot["closed" if is_closed else "open"] += count
            if not is_closed:
                by_tier[tier] = by_tier.get(tier, 0) + count
            by_channel[channel] = by_channel.get(channel, 0) + count
    return Figures(
        tenant=tenant, open=counts["open"], overdue=counts["overdue"],
        escalated=counts["escalated"], closed=counts["closed"],
        closed_within_target=counts["within"],
        closed_within_target_share=round(counts["within"] / counts["closed"], 3)
        if counts["closed"] else None,
        breached=counts["breached"], by_category=by_category, by_tier=by_tier,
        by_channel=by_channel, period_from=start, period_to=end,
        per_day=_per_day(store, tenant, standard.zone, start, end),
        escalations_by_tier=_escalations_by_tier(store, tenant, standard, start, end),
        satisfaction=_satisfaction(store, tenant, standard.zone, start, end),
    )


def per_local_day(store: ServiceStore, column: str, source: str, params: tuple, zone,
                  start: date, end: date) -> dict[date, int]:
    """How many rows of `source` (`FROM ... WHERE ...`) have the UTC text `column` (`utc_text`)
    on each day of the unit (`start`..`end`): counted in SQL per UTC hour over the period's
    range of an index, so the cost follows the period's rows. An hour that the zone's midnight
    falls inside (an offset that is not whole hours) is split by two exact counts."""
    low, high = _bounds(zone, start, end)
    days = {start + timedelta(days=i): 0 for i in range((end - start).days + 1)}
    within = f"{source} AND {column} >= ? AND {column} < ?"
    hours = store.query(f"SELECT SUBSTR({column}, 1, 13), COUNT(*) {within}"
                        f" GROUP BY SUBSTR({column}, 1, 13)", (*params, low, high))
    for hour, count in hours:
        begin = datetime.fromisoformat(hour + ":00:00+00:00")
        first, last = (begin.astimezone(zone).date(),
                       (begin + timedelta(hours=1, microseconds=-1)).astimezone(zone).date())
        if first == last:
            if first in days:
                days[first] += int(count)
            continue
        midnight = utc_text(datetime.combine(last, time(0), tzinfo=zone))
        for day, lo, hi in ((first, max(utc_text(begin), low), midnight),
                            (last, midnight, min(utc_text(begin + timedelta(hours=1)), high))):
            if day in days:
                days[day] += int(store.query(f"SELECT COUNT(*) {within}",
                                             (*params, lo, hi))[0][0])
    return days


def _per_day(store: ServiceStore, tenant: str, zone, start: date, end: date) -> list[DayCount]:
    p = store.prefix
    received = per_local_day(store, "received_at", f"FROM {p}_ticket_state WHERE tenant = ?",
                             (tenant,), zone, start, end)
    closed = per_local_day(store, "closed_at", f"FROM {p}_ticket_state WHERE tenant = ?"
                           " AND status = 'closed'", (tenant,), zone, start, end)
    return [DayCount(date=day, received=count, closed=closed[day])
            for day, count in received.items()]


def _escalations_by_tier(store: ServiceStore, tenant: str, standard, start: date,
                         end: date) -> dict[str, int]:
    """Escalation events of the period by the tier they reached (every higher tier of the unit's
    chain is listed, with 0 when none reached it)."""
    low = datetime.combine(start, time(0), tzinfo=standard.zone)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=standard.zone)
    # The history keeps `occurred_at` as ISO text with its offset: a day of slack on each side
    # narrows the rows in SQL, the exact test is on the parsed time.
    rows = store.query(
        f"SELECT occurred_at, {json_text(store, 'to_tier')} FROM {store.prefix}_ticket_events"
        f" WHERE {types_in(ESCALATION_TYPES)} AND {json_text(store, 'tenant')} = ?"
        " AND occurred_at >= ? AND occurred_at < ?",
        (tenant, (low - timedelta(days=1)).astimezone(UTC).isoformat(),
         (high + timedelta(days=1)).astimezone(UTC).isoformat()))
    counts = {entry.tier: 0 for entry in standard.escalation[1:]}
    for occurred_at, to_tier in rows:
        if low <= datetime.fromisoformat(occurred_at) < high:
            # `ticket.escalated_to_lkpp` has no to_tier: it always reaches LKPP.
            counts[to_tier or "lkpp"] = counts.get(to_tier or "lkpp", 0) + 1
    return counts


def _satisfaction(store: ServiceStore, tenant: str, zone, start: date, end: date) -> Satisfaction:
    low, high = _bounds(zone, start, end)
    averages = ", ".join(f"AVG({key})" for key in SKM_KEYS)
    row = store.query(f"SELECT COUNT(*), {averages} FROM {store.prefix}_surveys WHERE tenant = ?"
                      " AND submitted_at >= ? AND submitted_at < ?", (tenant, low, high))[0]
    responses = int(row[0])
    means = [float(value) if responses and value is not None else None for value in row[1:]]
    index = ikm(sum(means) / len(means)) if responses else None  # type: ignore[arg-type]
    return Satisfaction(
        responses=responses,
        elements=[ElementAverage(key=key, title=title,
                                 average=round(mean, 2) if mean is not None else None)
                  for (key, title), mean in zip(SKM_ELEMENTS, means, strict=True)],
        ikm=index, mutu=mutu(index) if index is not None else None,
    )


# --- the unit's CSV report -------------------------------------------------------------------

CSV_HEADER = ("nomor", "diterima", "kanal", "jenis", "kategori", "prioritas", "status", "tingkat",
              "eskalasi", "ditutup", "tepat_waktu", "pelanggaran_sla", "ikm")


def report_csv(store: ServiceStore, tenant: str, zone, start: date, end: date,
               fields=()) -> str:
    """One row per ticket received in the period, oldest first, in the unit's local time;
    `tepat_waktu` is `ya`/`tidak` for a closed ticket with a resolution target; `ikm` is the
    ticket's own survey (mean x 25); then one column per custom field of the standard."""
    low, high = _bounds(zone, start, end)
    p = store.prefix
    received = (f" LEFT JOIN {p}_ticket_events e ON e.ticket_id = s.ticket_id"
                " AND e.type = 'ticket.received'") if fields else ""
    rows = store.query(
        f"SELECT s.number, s.received_at, s.channel, s.kind, s.category, s.priority, s.status,"
        f" s.tier, s.escalations, s.closed_at, s.resolution_target, s.breached,"
        f" {'e.body' if fields else 'NULL'}, {', '.join(f'v.{key}' for key in SKM_KEYS)}"
        f" FROM {p}_ticket_state s LEFT JOIN {p}_surveys v ON v.ticket_id = s.ticket_id{received}"
        " WHERE s.tenant = ? AND s.received_at >= ? AND s.received_at < ?"
        " ORDER BY s.received_at, s.number", (tenant, low, high))

    def local(stamp: str | None) -> str:
        return from_utc_text(stamp).astimezone(zone).strftime("%Y-%m-%d %H:%M") if stamp else ""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((*CSV_HEADER, *(field.name for field in fields)))
    for (number, received_at, channel, kind, category, priority, status, tier, escalations,
         closed_at, target, breached, body, *scores) in rows:
        given = decode_event(body).fields if body else {}  # opened: the values are sealed
        closed = status == "closed"
        on_time = ("ya" if closed_at <= target else "tidak") if closed and target else ""
        answered = [int(score) for score in scores if score is not None]
        writer.writerow((
            number, local(received_at), channel, kind, category or "", priority or "", status,
            tier, escalations, local(closed_at) if closed else "", on_time,
            "ya" if breached else "tidak",
            f"{ikm(sum(answered) / len(answered)):.2f}" if answered else "",
            *(given.get(field.name, "") for field in fields),
        ))
    return out.getvalue()
