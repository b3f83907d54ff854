""""Sebelumnya / Berikutnya" for staff pages over a paged list of the API (`platform/paging.py`).

The API pages forward only (a cursor `after`), so the page's address carries the trail of the
cursors that led to it (`jejak`, the earlier pages' `after`, dot-separated: a cursor is
base64url and has no dot). "Berikutnya" adds the current cursor to the trail; "Sebelumnya"
takes the last one off. The trail is bounded: past `MAX_TRAIL` pages "Sebelumnya" leads back
to the first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from litestar import Request

from ...platform.paging import MAX_CURSOR

MAX_TRAIL = 30
FIRST = "-"  # the first page's place in the trail: no cursor


@dataclass(frozen=True)
class Pager:
    after: str  # the API's `after` for this page ("" for the first)
    previous: str | None  # the query string of the previous page, if any
    following: str | None  # the query string of the next page, if any


def cursor_of(request: Request) -> str:
    after = request.query_params.get("after") or ""
    return after if len(after) <= MAX_CURSOR else ""


def pager(request: Request, next_cursor: str | None) -> Pager:
    """Links for the page `request` shows, given the API's `X-Next-Cursor`."""
    after = cursor_of(request)
    trail = [c for c in (request.query_params.get("jejak") or "").split(".") if c][-MAX_TRAIL:]
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "jejak")]

    def query(cursor: str, steps: list[str]) -> str:
        extra = ([("after", cursor)] if cursor and cursor != FIRST else [])
        extra += [("jejak", ".".join(steps))] if steps else []
        return urlencode(kept + extra)

    previous = None
    if after:
        previous = query(trail[-1] if trail else FIRST, trail[:-1])
    following = query(next_cursor, [*trail, after or FIRST]) if next_cursor else None
    return Pager(after, previous, following)
