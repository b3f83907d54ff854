"""A unit standard's calendar and targets, as the SLA clock's types (built once per unit)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from ..standards.model import Target as StandardTarget
from ..standards.model import UnitStandard
from .calendar import BusinessCalendar
from .clock import Pause, Target, due_at

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def calendar_for(standard: UnitStandard) -> BusinessCalendar:
    return _calendar(standard.calendar)


@lru_cache(maxsize=64)
def _calendar(cal) -> BusinessCalendar:
    """Built once per calendar section (frozen, hashable), not per standard object."""
    return BusinessCalendar(
        timezone=cal.timezone,
        work_days=frozenset(WEEKDAYS[d] for d in cal.work_days),
        work_hours=tuple(cal.intervals()),
        holiday_country=cal.holidays,
        extra_holidays=frozenset(cal.extra_holidays),
        holiday_categories=frozenset(cal.holiday_categories),
    )


@lru_cache(maxsize=256)
def clock_target(target: StandardTarget) -> Target:
    """Built once per (frozen, hashable) target: every due time asks for it."""
    return Target(amount=target.amount, unit=target.unit, clock=target.clock)


def due(standard: UnitStandard, started: datetime, target: StandardTarget,
        pauses: tuple[Pause, ...] = ()) -> datetime | None:
    return due_at(calendar_for(standard), started, clock_target(target), pauses)
