"""SLA clock arithmetic. Expected values are worked out by hand in the comments.

WIB = UTC+7 (Asia/Jakarta), WIT = UTC+9 (Asia/Jayapura); neither has DST.
Weekdays used: 2026-07-10 Fri, 2026-07-13 Mon, 2026-08-14 Fri, 2026-08-17 Mon,
2026-05-27 Wed, 2026-12-24 Thu, 2026-12-31 Thu, 2027-01-01 Fri, 2027-01-04 Mon.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from lpse_helpdesk.sla import BusinessCalendar, Target, due_at, remaining

WIB, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")
MON_FRI = frozenset(range(5))
# 8 working hours a day: 08:00-12:00, lunch, 13:00-17:00.
HOURS_17 = ((time(8), time(12)), (time(13), time(17)))
# 7 working hours a day, closing at 16:00.
HOURS_16 = ((time(8), time(12)), (time(13), time(16)))

JAKARTA = BusinessCalendar("Asia/Jakarta", MON_FRI, HOURS_17)
JAKARTA_16 = BusinessCalendar("Asia/Jakarta", MON_FRI, HOURS_16)
JAYAPURA = BusinessCalendar("Asia/Jayapura", MON_FRI, HOURS_17)

ONE_HOUR = Target(1, "hours")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- business clock: end of week, lunch -----------------------------------------


def test_friday_evening_rolls_to_monday_morning():
    # Fri 16:50 WIB: 10 min until 17:00, the other 50 min on Monday from 08:00.
    due = due_at(JAKARTA, wib(2026, 7, 10, 16, 50), ONE_HOUR)
    assert due == utc(2026, 7, 13, 1, 50)  # Mon 08:50 WIB
    assert due.tzinfo is UTC


def test_after_closing_starts_at_next_opening():
    # Closed at 16:00, so Fri 16:50 counts nothing; Mon 08:00 + 1 h = 09:00 WIB.
    assert due_at(JAKARTA_16, wib(2026, 7, 10, 16, 50), ONE_HOUR) == utc(2026, 7, 13, 2, 0)


def test_due_exactly_at_closing_stays_that_day():
    # Fri 16:00 + 1 h = Fri 17:00 WIB, not Monday morning.
    assert due_at(JAKARTA, wib(2026, 7, 10, 16, 0), ONE_HOUR) == utc(2026, 7, 10, 10, 0)


def test_lunch_break_is_not_counted():
    # Tue 11:30 + 1 h: 30 min before lunch, 30 min after 13:00 -> 13:30 WIB.
    assert due_at(JAKARTA, wib(2026, 7, 14, 11, 30), ONE_HOUR) == utc(2026, 7, 14, 6, 30)
    # Arriving during lunch: the clock starts at 13:00 -> 13:30 WIB.
    half_hour = Target(30, "minutes")
    assert due_at(JAKARTA, wib(2026, 7, 14, 12, 15), half_hour) == utc(2026, 7, 14, 6, 30)


def test_is_working_time_boundaries():
    assert JAKARTA.is_working_time(wib(2026, 7, 14, 8, 0))
    assert JAKARTA.is_working_time(wib(2026, 7, 14, 11, 59))
    assert not JAKARTA.is_working_time(wib(2026, 7, 14, 12, 0))  # intervals are [start, end)
    assert not JAKARTA.is_working_time(wib(2026, 7, 14, 12, 30))
    assert JAKARTA.is_working_time(wib(2026, 7, 14, 13, 0))
    assert not JAKARTA.is_working_time(wib(2026, 7, 11, 10, 0))  # Saturday
    # 03:00 UTC is 10:00 WIB on a Tuesday: the zone is applied to aware input.
    assert JAKARTA.is_working_time(utc(2026, 7, 14, 3, 0))


def test_business_time_between():
    # Fri 16:50 -> Mon 08:50 WIB holds 10 + 50 minutes of working time.
    start, end = wib(2026, 7, 10, 16, 50), wib(2026, 7, 13, 8, 50)
    assert JAKARTA.business_time_between(start, end) == timedelta(hours=1)
    assert JAKARTA.business_time_between(end, start) == -timedelta(hours=1)
    # A whole working day is 8 h on this calendar.
    tuesday = JAKARTA.business_time_between(wib(2026, 7, 14, 0, 0), wib(2026, 7, 15, 0, 0))
    assert tuesday == timedelta(hours=8)


# --- holidays ---------------------------------------------------------------------


def test_independence_day_is_skipped():
    assert not JAKARTA.is_working_day(date(2026, 8, 17))
    # Fri 16:30 + 2 h: 30 min Friday; Sat, Sun, Mon 17 Aug closed; Tue 08:00 + 1.5 h.
    due = due_at(JAKARTA, wib(2026, 8, 14, 16, 30), Target(2, "hours"))
    assert due == utc(2026, 8, 18, 2, 30)  # Tue 09:30 WIB
    # Submitted on the holiday itself: the clock starts Tue 08:00 -> 09:00 WIB.
    assert due_at(JAKARTA, wib(2026, 8, 17, 10, 0), ONE_HOUR) == utc(2026, 8, 18, 2, 0)


def test_new_year_2027_is_skipped():
    assert not JAKARTA.is_working_day(date(2027, 1, 1))
    # Thu 31 Dec 16:00 + 4 h: 1 h Thursday; Fri 1 Jan, Sat, Sun closed; Mon 08:00 + 3 h.
    due = due_at(JAKARTA, wib(2026, 12, 31, 16, 0), Target(4, "hours"))
    assert due == utc(2027, 1, 4, 4, 0)  # Mon 4 Jan 11:00 WIB


def test_islamic_holiday_eid_al_adha_2026():
    # holidays 0.109 lists Idul Adha 1447 H on Wed 27 May 2026 (MABIMS, confirmed year).
    listed = holidays.country_holidays("ID", years=2026, language="en_US")
    assert "Eid al-Adha" in listed.get(date(2026, 5, 27), "")
    assert not JAKARTA.is_working_day(date(2026, 5, 27))
    # Tue 26 May 16:00 + 2 h: 1 h Tuesday; Wed closed; Thu 08:00 + 1 h.
    assert due_at(JAKARTA, wib(2026, 5, 26, 16, 0), Target(2, "hours")) == utc(2026, 5, 28, 2, 0)


def test_cuti_bersama_from_the_government_category():
    # Thu 28 May 2026 is cuti bersama Idul Adha: not a public holiday, but in the
    # package's "government" category.
    assert JAKARTA.is_working_day(date(2026, 5, 28))
    asn = BusinessCalendar(
        "Asia/Jakarta", MON_FRI, HOURS_17, holiday_categories=frozenset({"public", "government"})
    )
    assert not asn.is_working_day(date(2026, 5, 28))
    # Same ticket as above, now Thu is closed too -> Fri 29 May 09:00 WIB.
    assert due_at(asn, wib(2026, 5, 26, 16, 0), Target(2, "hours")) == utc(2026, 5, 29, 2, 0)


def test_christmas_eve_closure_via_extra_holidays():
    # Wed 23 Dec 16:30 + 1 h. Public holidays only: 30 min Wed, Thu 24 Dec 08:30 WIB.
    assert due_at(JAKARTA, wib(2026, 12, 23, 16, 30), ONE_HOUR) == utc(2026, 12, 24, 1, 30)
    closed = BusinessCalendar(
        "Asia/Jakarta", MON_FRI, HOURS_17, extra_holidays=frozenset({date(2026, 12, 24)})
    )
    assert not closed.is_working_day(date(2026, 12, 24))
    # Thu 24 closed (configured), Fri 25 Christmas, weekend -> Mon 28 Dec 08:30 WIB.
    assert due_at(closed, wib(2026, 12, 23, 16, 30), ONE_HOUR) == utc(2026, 12, 28, 1, 30)


def test_no_holiday_country():
    plain = BusinessCalendar("Asia/Jakarta", MON_FRI, HOURS_17, holiday_country=None)
    assert plain.is_working_day(date(2026, 8, 17))


# --- time zones ---------------------------------------------------------------------


def test_same_instant_in_wib_and_wit_units():
    submitted = utc(2026, 7, 10, 8, 30)  # Fri 15:30 WIB = Fri 17:30 WIT
    # WIB: 15:30-17:00 is 1.5 h, then Mon 08:00 + 0.5 h = 08:30 WIB = 01:30 UTC.
    assert due_at(JAKARTA, submitted, Target(2, "hours")) == utc(2026, 7, 13, 1, 30)
    # WIT: already closed; Mon 08:00 + 2 h = 10:00 WIT = 01:00 UTC.
    assert due_at(JAYAPURA, submitted, Target(2, "hours")) == utc(2026, 7, 13, 1, 0)


# --- calendar clock -------------------------------------------------------------------


def test_three_times_24_hours_ignores_the_weekend():
    # Fri 14:00 WIB + 72 h wall clock = Mon 14:00 WIB, whatever the calendar says.
    target = Target(72, "hours", clock="calendar")
    assert due_at(JAKARTA, wib(2026, 7, 10, 14, 0), target) == utc(2026, 7, 13, 7, 0)
    # Across a holiday too: Fri 14 Aug 14:00 + 72 h = Mon 17 Aug 14:00 WIB.
    assert due_at(JAKARTA, wib(2026, 8, 14, 14, 0), target) == utc(2026, 8, 17, 7, 0)


def test_calendar_working_days_is_rejected():
    with pytest.raises(ValueError):
        Target(1, "working_days", clock="calendar")


# --- working days ---------------------------------------------------------------------


def test_working_days_across_weekend_and_holiday():
    # Thu 13 Aug 10:00, 3 working days: Fri 14 (1), Mon 17 holiday, Tue 18 (2), Wed 19 (3).
    target = Target(3, "working_days")
    assert due_at(JAKARTA, wib(2026, 8, 13, 10, 0), target) == utc(2026, 8, 19, 3, 0)


def test_one_working_day_from_friday_evening():
    start = wib(2026, 7, 10, 16, 50)
    # Open until 17:00: same clock time on the next working day, Mon 16:50 WIB.
    assert JAKARTA.add_working_days(start, 1) == utc(2026, 7, 13, 9, 50)
    # Closed at 16:00: start moves to Mon 08:00, one working day later Tue 08:00 WIB.
    assert JAKARTA_16.add_working_days(start, 1) == utc(2026, 7, 14, 1, 0)
    # In the lunch break: start moves to 13:00 -> Wed 13:00 WIB.
    assert JAKARTA.add_working_days(wib(2026, 7, 14, 12, 30), 1) == utc(2026, 7, 15, 6, 0)


# --- pauses ---------------------------------------------------------------------------


PAUSE_TWO_DAYS = [(wib(2026, 7, 13, 10, 0), wib(2026, 7, 15, 10, 0))]  # Mon 10:00 -> Wed 10:00


def test_business_clock_paused_two_days():
    start = wib(2026, 7, 13, 9, 0)  # Mon 09:00
    target = Target(8, "hours")
    # Unpaused: Mon 09-12 (3 h) + 13-17 (4 h) + Tue 08-09 (1 h) -> Tue 09:00 WIB.
    assert due_at(JAKARTA, start, target) == utc(2026, 7, 14, 2, 0)
    # 1 h runs before the pause; from Wed 10:00 the other 7 h: Wed 10-12, 13-17 (6 h),
    # Thu 08-09 -> Thu 09:00 WIB (the pause held 16 h of working time).
    assert due_at(JAKARTA, start, target, PAUSE_TWO_DAYS) == utc(2026, 7, 16, 2, 0)


def test_calendar_clock_paused_two_days():
    start = wib(2026, 7, 13, 9, 0)
    target = Target(24, "hours", clock="calendar")
    assert due_at(JAKARTA, start, target) == utc(2026, 7, 14, 2, 0)  # Tue 09:00 WIB
    # The pause holds 48 h of wall clock -> Thu 09:00 WIB.
    assert due_at(JAKARTA, start, target, PAUSE_TWO_DAYS) == utc(2026, 7, 16, 2, 0)


def test_working_days_paused_two_days():
    # 1 working day from Mon 09:00 is Tue 09:00; two paused working days -> Thu 09:00 WIB.
    start = wib(2026, 7, 13, 9, 0)
    due = due_at(JAKARTA, start, Target(1, "working_days"), PAUSE_TWO_DAYS)
    assert due == utc(2026, 7, 16, 2, 0)


def test_pauses_outside_the_running_clock_change_nothing():
    start, target = wib(2026, 7, 13, 9, 0), Target(8, "hours")
    before_start = [(wib(2026, 7, 10, 9, 0), wib(2026, 7, 13, 9, 0))]
    after_due = [(wib(2026, 7, 14, 10, 0), wib(2026, 7, 16, 10, 0))]
    # Only working time inside a pause counts: Mon 17:00 -> Tue 08:00 holds none.
    overnight = [(wib(2026, 7, 13, 17, 0), wib(2026, 7, 14, 8, 0))]
    for pauses in (before_start, after_due, overnight):
        assert due_at(JAKARTA, start, target, pauses) == utc(2026, 7, 14, 2, 0)


def test_overlapping_pauses_count_once():
    start, target = wib(2026, 7, 13, 9, 0), Target(8, "hours")
    pauses = [
        (wib(2026, 7, 13, 10, 0), wib(2026, 7, 14, 10, 0)),
        (wib(2026, 7, 14, 9, 0), wib(2026, 7, 15, 10, 0)),
    ]
    assert due_at(JAKARTA, start, target, pauses) == utc(2026, 7, 16, 2, 0)


def test_open_pause_has_no_due_time():
    start = wib(2026, 7, 13, 9, 0)
    open_pause = [(wib(2026, 7, 13, 10, 0), None)]
    assert due_at(JAKARTA, start, Target(8, "hours"), open_pause) is None
    assert due_at(JAKARTA, start, Target(72, "hours", clock="calendar"), open_pause) is None


# --- remaining, validation -----------------------------------------------------------


def test_remaining_wall_clock_and_business():
    due = utc(2026, 7, 13, 1, 50)  # Mon 08:50 WIB
    friday = wib(2026, 7, 10, 16, 50)
    assert remaining(JAKARTA, friday, due) == timedelta(days=2, hours=16)
    assert remaining(JAKARTA, friday, due, clock="business") == timedelta(hours=1)
    assert remaining(JAKARTA, wib(2026, 7, 13, 9, 0), due) == -timedelta(minutes=10)


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 7, 10, 16, 50)
    aware = wib(2026, 7, 10, 16, 50)
    with pytest.raises(ValueError, match="timezone-aware"):
        JAKARTA.is_working_time(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        JAKARTA.add_business_time(naive, timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        JAKARTA.business_time_between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(JAKARTA, naive, ONE_HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(JAKARTA, aware, ONE_HOUR, [(naive, None)])


def test_invalid_calendars_are_rejected():
    with pytest.raises(ValueError):
        BusinessCalendar("Asia/Nowhere", MON_FRI, HOURS_17)
    with pytest.raises(ValueError):
        BusinessCalendar("Asia/Jakarta", MON_FRI, ((time(13), time(17)), (time(8), time(12))))
    with pytest.raises(ValueError):
        BusinessCalendar("Asia/Jakarta", frozenset(), HOURS_17)
    with pytest.raises(ValueError):
        BusinessCalendar("Asia/Jakarta", MON_FRI, HOURS_17, holiday_categories=frozenset({"bogus"}))
