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


def cursor_of(request: Request, param: str = "after") -> str:
    after = request.query_params.get(param) or ""
    return after if len(after) <= MAX_CURSOR else ""


def pager(request: Request, next_cursor: str | None, param: str = "after") -> Pager:
    """Links for the page `request` shows, given the API's `X-Next-Cursor`; `param` names the
    cursor in the page's address when one page shows two lists."""
    return links(request.query_params, next_cursor, param)


def links(query_params, next_cursor: str | None, param: str = "after") -> Pager:
    """`pager` on the page address's query (a `MultiDict`)."""
    trail_param = "jejak" if param == "after" else f"jejak-{param}"
    after = query_params.get(param) or ""
    after = after if len(after) <= MAX_CURSOR else ""
    trail = [c for c in (query_params.get(trail_param) or "").split(".") if c][-MAX_TRAIL:]
    kept = [(k, v) for k, v in query_params.multi_items() if k not in (param, trail_param)]

    def query(cursor: str, steps: list[str]) -> str:
        extra = ([(param, cursor)] if cursor and cursor != FIRST else [])
        extra += [(trail_param, ".".join(steps))] if steps else []
        return urlencode(kept + extra)

    previous = None
    if after:
        previous = query(trail[-1] if trail else FIRST, trail[:-1])
    following = query(next_cursor, [*trail, after or FIRST]) if next_cursor else None
    return Pager(after, previous, following)
