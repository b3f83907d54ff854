"""A unit's business calendar: when the helpdesk is open, and clock arithmetic in it.

Pure functions of their arguments (plus the `holidays` package's data): no I/O, no
"now". Inputs must be timezone-aware; results are aware datetimes in UTC so they can
be stored and compared without knowing the unit's zone.

Definitions (see docs/sla.md):
- working time = a working day (weekday in `work_days`, not a public holiday, not an
  extra closure) during one of `work_hours`; each interval is [start, end).
- business time = the length of working time between two instants.
- "N working days" from a moment = the same local clock time on the N-th working day
  after it; a moment outside working time first moves forward to the next opening.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

_ZERO = timedelta(0)


@functools.lru_cache(maxsize=256)
def _holiday_dates(country: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    # Building a `holidays` object costs ~50 ms per year (it computes lunar and
    # Hijri dates), and due times are computed on every ticket event: build each
    # (country, categories, year) once per process.
    built = holidays.country_holidays(country, years=year, categories=categories)
    return frozenset(built.keys())


def _require_aware(moment: datetime, name: str = "datetime") -> None:
    # A naive datetime has no instant: guessing the unit's zone (or the server's)
    # silently moves deadlines by hours, so refuse instead.
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str  # IANA name, e.g. "Asia/Jakarta" (WIB), "Asia/Makassar", "Asia/Jayapura"
    work_days: frozenset[int]  # 0=Monday .. 6=Sunday
    work_hours: tuple[tuple[time, time], ...]  # sorted, non-overlapping, local, [start, end)
    holiday_country: str | None = "ID"
    extra_holidays: frozenset[date] = frozenset()  # unit closures, e.g. cuti bersama
    # "public" = national holidays (hari libur nasional). The `holidays` package also
    # ships Indonesia's cuti bersama as category "government"; opt in with
    # frozenset({"public", "government"}) if the unit closes on those days.
    holiday_categories: frozenset[str] = frozenset({"public"})

    def __post_init__(self) -> None:
        # Normalise containers so a calendar built from TOML lists is hashable and equal
        # to one built in code.
        object.__setattr__(self, "work_days", frozenset(self.work_days))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "holiday_categories", frozenset(self.holiday_categories))
        object.__setattr__(self, "work_hours", tuple((s, e) for s, e in self.work_hours))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        if not self.work_days or not self.work_days <= set(range(7)):
            days = sorted(self.work_days)
            raise ValueError(f"work_days must be a non-empty subset of 0..6, got {days}")
        if not self.work_hours:
            # Without opening hours no business duration could ever elapse.
            raise ValueError("work_hours must contain at least one interval")
        previous_end: time | None = None
        for start, end in self.work_hours:
            if not start < end:
                raise ValueError(f"work_hours interval {start}-{end}: start must be before end")
            if previous_end is not None and start < previous_end:
                raise ValueError("work_hours must be sorted and non-overlapping")
            previous_end = end
        if self.holiday_country is not None:
            try:  # no years: validates country and categories without computing dates
                holidays.country_holidays(
                    self.holiday_country, categories=tuple(sorted(self.holiday_categories))
                )
            except NotImplementedError as exc:
                raise ValueError(f"holidays has no country {self.holiday_country!r}") from exc
        # Per-day results, computed once per calendar and day: whether it is a working day,
        # and its working intervals in UTC. Every due time walks these days again (a bulk
        # rebuild folds thousands of tickets received on the same few days), and each day
        # otherwise costs a holiday lookup and two zone conversions per interval. They are
        # pure functions of the (frozen) calendar and the date, so the cache changes no result.
        # Not fields: they take no part in equality or hashing. A day is a few hundred bytes,
        # and only the days that clocks actually cross are ever cached.
        object.__setattr__(self, "_working_days", {})
        object.__setattr__(self, "_day_intervals", {})
        object.__setattr__(self, "_days_after", {})  # (day, n) -> the n-th working day after
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "_holiday_cats", tuple(sorted(self.holiday_categories)))

    @property
    def tz(self) -> ZoneInfo:
        return self._zone  # ZoneInfo(self.timezone), looked up once

    # --- days and moments -------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        if self.holiday_country is None:
            return False
        return day in _holiday_dates(self.holiday_country, self._holiday_cats, day.year)

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):  # a datetime is a date subclass: its local day is meant
            raise TypeError("is_working_day takes a date; use is_working_time for a datetime")
        known = self._working_days.get(day)
        if known is None:
            known = self._working_days[day] = (
                day.weekday() in self.work_days and not self.is_holiday(day))
        return known

    def is_working_time(self, moment: datetime) -> bool:
        _require_aware(moment, "moment")
        local = moment.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        clock = local.time().replace(tzinfo=None)
        return any(start <= clock < end for start, end in self.work_hours)

    def _intervals(self, first_day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals as UTC (start, end), in order, from `first_day` onward."""
        day, one = first_day, timedelta(days=1)
        while True:  # terminates for callers: work_days is non-empty, holidays are finite
            yield from self._intervals_of(day)
            day += one

    def _intervals_of(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working intervals of one day as UTC (start, end); none on a closed day."""
        known = self._day_intervals.get(day)
        if known is None:
            tz = self._zone
            known = self._day_intervals[day] = tuple(
                (datetime.combine(day, start, tzinfo=tz).astimezone(UTC),
                 datetime.combine(day, end, tzinfo=tz).astimezone(UTC))
                for start, end in self.work_hours
            ) if self.is_working_day(day) else ()
        return known

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself if in working time, else the next opening (UTC)."""
        _require_aware(moment, "moment")
        moment = moment.astimezone(UTC)
        for start, end in self._intervals(moment.astimezone(self.tz).date()):
            if moment < end:
                return max(moment, start)
        raise AssertionError("unreachable")  # _intervals is infinite

    # --- clock arithmetic -------------------------------------------------------

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of working time has elapsed since `start`.

        A due time that exactly exhausts an interval stays at that interval's end
        (Friday 16:00 + 1 h with close at 17:00 is Friday 17:00, not Monday 08:00).
        A zero duration gives the next working moment at or after `start`.
        """
        _require_aware(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        start = start.astimezone(UTC)
        left = duration
        for iv_start, iv_end in self._intervals(start.astimezone(self.tz).date()):
            begin = max(iv_start, start)
            if begin >= iv_end:
                continue
            if left == _ZERO:
                return begin
            if left <= iv_end - begin:
                return begin + left
            left -= iv_end - begin
        raise AssertionError("unreachable")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Same local clock time on the `days`-th working day after `start` (UTC result).

        A `start` outside working time first moves to the next opening, so a ticket
        received Friday 17:30 with hours 08:00-16:00 gets "1 working day" = Tuesday
        08:00: the whole of Monday. The moved start is inside an interval [a, b) and
        every working day has the same hours, so the result is working time too.
        """
        _require_aware(start, "start")
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        local = self.next_working_moment(start).astimezone(self._zone)
        first = local.date()
        day = self._days_after.get((first, days))
        if day is None:
            day, counted = first, 0
            while counted < days:
                day += timedelta(days=1)
                if self.is_working_day(day):
                    counted += 1
            self._days_after[(first, days)] = day
        clock = local.time().replace(tzinfo=None)
        return datetime.combine(day, clock, tzinfo=self._zone).astimezone(UTC)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); negative when end is before start."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end < start:
            return -self.business_time_between(end, start)
        total = _ZERO
        for iv_start, iv_end in self._intervals(start.astimezone(self.tz).date()):
            if iv_start >= end:
                break
            overlap = min(iv_end, end) - max(iv_start, start)
            if overlap > _ZERO:
                total += overlap
        return total
