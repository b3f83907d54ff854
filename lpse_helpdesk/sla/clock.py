"""SLA targets and their due times, with the clock paused while waiting for the reporter.

A target runs on one of two clocks:
- "business": only the unit's working time counts (its BusinessCalendar);
- "calendar": wall-clock time counts, nights, weekends and holidays included
  ("3x24 jam").
A pause (paused_at, resumed_at) stops the clock; the due time moves later by the clock
time that fell inside the pause before the deadline was reached. See docs/sla.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from lpse_helpdesk.sla.calendar import BusinessCalendar, _require_aware

Unit = Literal["minutes", "hours", "working_days"]
Clock = Literal["business", "calendar"]
Pause = tuple[datetime, datetime | None]

_UNITS = ("minutes", "hours", "working_days")
_CLOCKS = ("business", "calendar")


@dataclass(frozen=True)
class Target:
    amount: int
    unit: Unit
    clock: Clock = "business"

    def __post_init__(self) -> None:
        if self.unit not in _UNITS:
            raise ValueError(f"unit must be one of {_UNITS}, got {self.unit!r}")
        if self.clock not in _CLOCKS:
            raise ValueError(f"clock must be one of {_CLOCKS}, got {self.clock!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"amount must be a non-negative integer, got {self.amount!r}")
        if self.unit == "working_days" and self.clock == "calendar":
            # "Working days" only mean something on the business clock; a calendar
            # target of N days is written as hours (3x24 jam = 72 hours).
            raise ValueError(
                "working_days needs the business clock; use hours=24*N for calendar days"
            )

    def duration(self) -> timedelta:
        """The target as a duration; not defined for working days (they are not a fixed length)."""
        if self.unit == "minutes":
            return timedelta(minutes=self.amount)
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        raise ValueError("a working-day target has no fixed duration")


def _merged_pauses(
    started: datetime, pauses: Sequence[Pause]
) -> list[tuple[datetime, datetime]] | None:
    """Closed pauses, clipped to start at `started`, sorted and merged; None if one is open."""
    closed: list[tuple[datetime, datetime]] = []
    for paused_at, resumed_at in pauses:
        _require_aware(paused_at, "paused_at")
        if resumed_at is None:
            return None
        _require_aware(resumed_at, "resumed_at")
        if resumed_at < paused_at:
            raise ValueError(f"pause resumed ({resumed_at}) before it started ({paused_at})")
        begin, end = max(paused_at.astimezone(UTC), started), resumed_at.astimezone(UTC)
        if end > begin:  # a pause before the ticket started holds no clock time
            closed.append((begin, end))
    closed.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in closed:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _run_clock(
    started: datetime,
    amount: timedelta,
    pauses: list[tuple[datetime, datetime]],
    add: Callable[[datetime, timedelta], datetime],
    between: Callable[[datetime, datetime], timedelta],
) -> datetime:
    # Walk the running segments between pauses, spending `amount` of clock time. A
    # pause that begins at or after the deadline changes nothing: the target was
    # already met (or breached) before the clock stopped.
    cursor, left = started, amount
    for begin, end in pauses:
        if end <= cursor:
            continue
        if begin > cursor:
            candidate = add(cursor, left)
            if candidate <= begin:
                return candidate
            left -= between(cursor, begin)
        cursor = max(cursor, end)
    return add(cursor, left)


def due_at(
    calendar: BusinessCalendar,
    started: datetime,
    target: Target,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """When `target` is due for a clock started at `started`, in UTC.

    None while a pause is open: the clock is stopped, so there is no due time until
    the reporter replies and the pause is closed.
    """
    _require_aware(started, "started")
    started = started.astimezone(UTC)
    merged = _merged_pauses(started, pauses)
    if merged is None:
        return None

    if target.clock == "calendar":
        return _run_clock(
            started, target.duration(), merged, lambda t, d: t + d, lambda a, b: b - a
        )

    if target.unit != "working_days":
        return _run_clock(
            started,
            target.duration(),
            merged,
            calendar.add_business_time,
            calendar.business_time_between,
        )

    # Working days: the unpaused due time is defined by add_working_days. To shift it
    # by paused working time, express it as the business time it contains, spend that
    # around the pauses, and move a result that lands on a closing time to the next
    # opening (the same-clock-time form add_working_days would give).
    unpaused = calendar.add_working_days(started, target.amount)
    if not merged:
        return unpaused
    amount = calendar.business_time_between(started, unpaused)
    due = _run_clock(
        started, amount, merged, calendar.add_business_time, calendar.business_time_between
    )
    return calendar.next_working_moment(due)


def remaining(
    calendar: BusinessCalendar,
    now: datetime,
    due: datetime,
    clock: Clock = "calendar",
) -> timedelta:
    """Time left until `due`; negative once overdue.

    By default wall-clock time, also for business targets: it is what a person reads
    as "due in 3 hours", and the sign (breached or not) is exact either way. Pass
    clock="business" for the working time left (the overdue amount is then the
    working time since `due`).
    """
    _require_aware(now, "now")
    _require_aware(due, "due")
    if clock == "business":
        return calendar.business_time_between(now, due)
    return due.astimezone(UTC) - now.astimezone(UTC)
