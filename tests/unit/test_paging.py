"""The shared paging of every list (`platform/paging.py`): a cursor survives its round trip,
the limit is bounded, and walking the pages of a list whose items share a time gives each item
exactly once, in memory and through the SQL keyset (on SQLite, as the embedded helpdesk runs)."""

import sqlite3

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.platform import paging

# 23 items, 5 of each time: the time alone is no order, the id breaks ties.
ITEMS = [{"at": f"2026-03-0{i % 5 + 1}T08:00:00Z", "id": f"id-{i:02d}"} for i in range(23)]


def key(item: dict) -> tuple:
    return (item["at"], item["id"])


def test_a_cursor_round_trips_and_a_forged_one_is_refused_naming_after():
    cursor = paging.encode(("2026-03-01T08:00:00Z", "id-ä/07", 3))
    assert paging.decode(cursor, 3) == ("2026-03-01T08:00:00Z", "id-ä/07", 3)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for forged in ("bukan-kursor!", paging.encode(("a",)), paging.encode((True, "x")), "e30"):
        with pytest.raises(refusals.Invalid) as refused:
            paging.decode(forged, 2)
        assert refused.value.field == "after"


@pytest.mark.parametrize("limit", [0, -1, paging.MAX_LIMIT + 1])
def test_a_limit_out_of_bounds_is_refused_naming_limit(limit):
    with pytest.raises(refusals.Invalid) as refused:
        paging.page_of(ITEMS, key, None, limit)
    assert refused.value.field == "limit" and "200" in refused.value.message


def walk(read) -> list:
    seen, after, pages = [], None, 0
    while True:
        page = read(after)
        seen += page.items
        pages += 1
        assert len(page.items) <= 4
        if page.next is None:
            return seen, pages
        after = page.next


@pytest.mark.parametrize("descending", [False, True])
def test_pages_in_memory_give_each_item_once_in_a_stable_order(descending):
    seen, pages = walk(lambda after: paging.page_of(reversed(ITEMS), key, after, 4, descending))
    assert seen == sorted(ITEMS, key=key, reverse=descending) and pages == 6


@pytest.mark.parametrize("descending", [False, True])
def test_pages_through_sql_give_each_item_once_with_equal_times(descending):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (at TEXT, id TEXT PRIMARY KEY)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(i["at"], i["id"]) for i in ITEMS])

    def read(after):
        condition, params, order = paging.keyset(("at", "id"), after, descending)
        rows = db.execute(f"SELECT at, id FROM t WHERE {condition} ORDER BY {order} LIMIT ?",
                          (*params, 5)).fetchall()
        return paging.page_from_rows(rows, lambda r: r, 4)

    seen, pages = walk(read)
    assert seen == sorted((key(i) for i in ITEMS), reverse=descending) and pages == 6
    # An item added before the cursor moves nothing onto a later page.
    first = read(None)
    second = read(first.next).items
    earliest = ("2026-03-01T08:00:00Z", "id-00a") if not descending else ("2026-03-09", "id-zz")
    db.execute("INSERT INTO t VALUES (?, ?)", earliest)
    assert read(first.next).items == second


def test_a_cursor_of_another_list_is_refused():
    other = paging.encode((1, 2))
    with pytest.raises(refusals.Invalid) as refused:
        paging.page_of(ITEMS, key, other, 4)
    assert refused.value.field == "after"


def test_a_staff_page_links_back_and_forth_along_its_trail():
    from urllib.parse import parse_qs

    from litestar.datastructures import MultiDict

    from lpse_helpdesk.services.web.pager import links

    def follow(query: str, following: str | None) -> tuple:
        params = MultiDict([(k, v) for k, vs in parse_qs(query).items() for v in vs])
        shown = links(params, following)
        return shown.after, shown.previous, shown.following

    # Page 1 -> 2 -> 3 by "Berikutnya", then back by "Sebelumnya": the same cursors.
    after, previous, second = follow("tenant=batam", "c2")
    assert (after, previous) == ("", None) and parse_qs(second)["tenant"] == ["batam"]
    after, previous, third = follow(second, "c3")
    assert after == "c2" and previous == "tenant=batam"
    after, back, last = follow(third, None)
    assert after == "c3" and last is None
    assert follow(back, "c3")[0] == "c2" and follow(back, "c3")[2] == third
    # A page for a second list keeps the first list's place.
    shown = links(MultiDict([("after", "c2"), ("terbit", "t5")]), "t6", "terbit")
    assert parse_qs(shown.following)["after"] == ["c2"]
    assert parse_qs(shown.previous) == {"after": ["c2"]}
