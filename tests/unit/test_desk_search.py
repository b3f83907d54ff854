"""The search's pure parts (`services/desk/search.py`): a word as a LIKE pattern, and a range of
the unit's days as UTC bounds."""

from zoneinfo import ZoneInfo

import pytest

from lpse_helpdesk.services.desk import search
from lpse_helpdesk.services.desk.reports import BadPeriod

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize("word,pattern", [
    ("spse", "%spse%"), ("100%", "%100\\%%"), ("a_b", "%a\\_b%"), ("c:\\x", "%c:\\\\x%"),
])
def test_a_word_matches_anywhere_with_its_wildcards_taken_literally(word, pattern):
    assert search.like(word) == pattern


def test_the_unit_days_are_utc_bounds_both_ends_inclusive():
    low, high = search.day_bounds(JAKARTA, "2026-03-02", "2026-03-03")
    assert (low, high) == ("2026-03-01T17:00:00.000000Z", "2026-03-03T17:00:00.000000Z")
    assert search.day_bounds(JAKARTA, None, None) == (None, None)
    assert search.day_bounds(JAKARTA, "", "2026-03-02")[0] is None


@pytest.mark.parametrize("date_from,date_to,field", [
    ("kemarin", None, "from"), (None, "2026-13-01", "to"), ("2026-03-02", "2026-03-01", "from"),
])
def test_a_bad_day_or_range_names_its_field(date_from, date_to, field):
    with pytest.raises(BadPeriod) as refused:
        search.day_bounds(JAKARTA, date_from, date_to)
    assert refused.value.field == field
