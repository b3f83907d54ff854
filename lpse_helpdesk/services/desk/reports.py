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
from ...schemas.survey import SKM_ELEMENTS, SKM_KEYS, ikm, mutu

DEFAULT_DAYS = 30
MAX_DAYS = 366
ESCALATIONS = ("ticket.escalated_to_coordinator", "ticket.escalated_to_lkpp")


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
    """The unit's figures now, and over the period `start`..`end` (default: the last 30 days)."""
    if start is None or end is None:
        start, end = period(standard.zone, now, None, None)
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
        by_channel=by_channel, period_from=start, period_to=end,
        per_day=_per_day(store, tenant, standard.zone, start, end),
        escalations_by_tier=_escalations_by_tier(store, tenant, standard, start, end),
        satisfaction=_satisfaction(store, tenant, standard.zone, start, end),
    )


def _per_day(store: ServiceStore, tenant: str, zone, start: date, end: date) -> list[DayCount]:
    low, high = _bounds(zone, start, end)
    p = store.prefix
    received = store.query(f"SELECT received_at FROM {p}_ticket_state WHERE tenant = ?"
                           " AND received_at >= ? AND received_at < ?", (tenant, low, high))
    closed = store.query(f"SELECT closed_at FROM {p}_ticket_state WHERE tenant = ?"
                         " AND status = 'closed' AND closed_at >= ? AND closed_at < ?",
                         (tenant, low, high))
    days = {start + timedelta(days=i): [0, 0] for i in range((end - start).days + 1)}
    for column, found in ((0, received), (1, closed)):
        for (stamp,) in found:
            day = from_utc_text(stamp).astimezone(zone).date()
            if day in days:
                days[day][column] += 1
    return [DayCount(date=day, received=r, closed=c) for day, (r, c) in days.items()]


class _Escalation(msgspec.Struct):
    occurred_at: datetime
    to_tier: str = "lkpp"  # `ticket.escalated_to_lkpp` has no to_tier: it always reaches LKPP


_escalation = msgspec.json.Decoder(_Escalation)


def _escalations_by_tier(store: ServiceStore, tenant: str, standard, start: date,
                         end: date) -> dict[str, int]:
    """Escalation events of the period by the tier they reached (every higher tier of the unit's
    chain is listed, with 0 when none reached it)."""
    low = datetime.combine(start, time(0), tzinfo=standard.zone)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=standard.zone)
    p = store.prefix
    # The history keeps `occurred_at` as ISO text with its offset: a day of slack on each side
    # narrows the rows in SQL, the exact test is on the decoded time.
    rows = store.query(
        f"SELECT e.body FROM {p}_ticket_events e JOIN {p}_tickets t ON t.ticket_id = e.ticket_id"
        f" WHERE t.tenant = ? AND e.type IN ({', '.join('?' * len(ESCALATIONS))})"
        " AND e.occurred_at >= ? AND e.occurred_at < ?",
        (tenant, *ESCALATIONS, (low - timedelta(days=1)).astimezone(UTC).isoformat(),
         (high + timedelta(days=1)).astimezone(UTC).isoformat()))
    counts = {entry.tier: 0 for entry in standard.escalation[1:]}
    for (body,) in rows:
        event = _escalation.decode(body)
        if low <= event.occurred_at < high:
            counts[event.to_tier] = counts.get(event.to_tier, 0) + 1
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
