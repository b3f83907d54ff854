"""One way to page every list the API answers: a keyset cursor `after` and a `limit`.

A list answers at most `limit` items (default `DEFAULT_LIMIT`, at most `MAX_LIMIT`; a larger
one is a 400 naming `limit`) in a stable order: a key that is unique per item (a time, then an
id that breaks ties), so a page shows the same items however often it is read and an item
added meanwhile never shifts another onto a second page. The body stays the bare list it always
was (existing clients keep working); when more follow, the answer carries the next page's
cursor in `X-Next-Cursor` and the next page's address in `Link: <...>; rel="next"` (RFC 8288).
The cursor is the last item's key, base64url JSON: opaque to clients, checked when read.

`page_of` pages a list already in memory (those bounded by configuration or by a unit's size);
`keyset` gives the SQL condition for a query that reads one page only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

from .. import refusals

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 400  # characters: a key of a time and an id, with room

Limit = Annotated[int, QueryParameter(
    name="limit", required=False, ge=1, le=MAX_LIMIT,
    description=f"Jumlah paling banyak per halaman (bawaan {DEFAULT_LIMIT}, maksimal "
    f"{MAX_LIMIT}) / items per page")]
After = Annotated[str | None, QueryParameter(
    name="after", required=False, max_length=MAX_CURSOR,
    description="Kursor halaman berikutnya, dari `X-Next-Cursor` jawaban sebelumnya / the next "
    "page's cursor, from the previous answer's `X-Next-Cursor`")]

# What a paged route documents it answers besides its list (`value` gives the schema: text).
RESPONSE_HEADERS = [
    ResponseHeader(name="X-Next-Cursor", documentation_only=True, value="", description=(
        "Kursor halaman berikutnya (untuk `after`); tidak ada bila ini halaman terakhir / the "
        "next page's cursor; absent on the last page")),
    ResponseHeader(name="Link", documentation_only=True, value="", description=(
        'Alamat halaman berikutnya, `<...>; rel="next"`; tidak ada bila ini halaman terakhir '
        "/ the next page's address; absent on the last page")),
]
PAGED_DOC = ("Per halaman: `limit` (bawaan 50, maksimal 200) dan `after` (kursor dari "
             "`X-Next-Cursor` atau `Link` jawaban sebelumnya), urutan tetap / paged by `limit` "
             "and the cursor `after`, in a stable order.")

T = TypeVar("T")
Key = tuple


class Page(Generic[T]):
    __slots__ = ("items", "next")

    def __init__(self, items: list[T], next: str | None):
        self.items, self.next = items, next


def encode(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, width: int | None) -> Key:
    """The key a cursor of `encode` holds; refused (400 on `after`) when it is not one of
    `width` (any, when None) strings and numbers."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    if (not isinstance(key, list) or not key or width not in (None, len(key)) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in key)):
        raise refusals.Invalid(
            "Kursor `after` tidak sah; gunakan nilai `X-Next-Cursor` dari jawaban sebelumnya "
            "/ invalid cursor", field="after")
    return tuple(key)


def check_limit(limit: int) -> int:
    """For callers outside HTTP (the CLI, pages): the same bounds as `Limit`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise refusals.Invalid(f"Nilai `limit` harus 1 sampai {MAX_LIMIT} / limit out of range",
                               field="limit")
    return limit


def page_of(items: Iterable[T], key: Callable[[T], Key], after: str | None,
            limit: int = DEFAULT_LIMIT, descending: bool = False) -> Page[T]:
    """The page after the cursor `after` of `items` ordered by `key` (unique per item)."""
    check_limit(limit)
    ordered = sorted(items, key=key, reverse=descending)
    if after:
        cursor = decode(after, len(key(ordered[0])) if ordered else None)
        try:
            ordered = [i for i in ordered if (key(i) < cursor if descending else key(i) > cursor)]
        except TypeError:  # a cursor of another list's key types
            raise refusals.Invalid("Kursor `after` bukan untuk daftar ini / cursor of another "
                                   "list", field="after") from None
    shown = ordered[:limit]
    more = len(ordered) > limit
    return Page(shown, encode(key(shown[-1])) if more else None)


def keyset(columns: Sequence[str], after: str | None,
           descending: bool = False) -> tuple[str, list, str]:
    """`(condition, params, order)` for SQL reading the page after `after`: a row-value
    comparison on `columns` (unique together) and the ORDER BY that goes with it. Read
    `limit + 1` rows and give them to `page_from_rows`."""
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{c} {direction}" for c in columns)
    if not after:
        return "1 = 1", [], order
    cursor = decode(after, len(columns))
    # Expanded, not `(a, b) > (?, ?)`: the same on SQLite and PostgreSQL, for any width.
    ops, terms, params = ("<" if descending else ">"), [], []
    for i, column in enumerate(columns):
        equal = [f"{c} = ?" for c in columns[:i]]
        terms.append("(" + " AND ".join([*equal, f"{column} {ops} ?"]) + ")")
        params += [*cursor[:i], cursor[i]]
    return "(" + " OR ".join(terms) + ")", params, order


def page_from_rows(rows: list[T], key: Callable[[T], Key], limit: int) -> Page[T]:
    """The page of `limit + 1` rows read in the cursor's order."""
    shown = rows[:limit]
    return Page(shown, encode(key(shown[-1])) if len(rows) > limit else None)


def next_link(request: Request, cursor: str) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    pairs.append(("after", cursor))
    query = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in pairs)
    return f"{request.url.path}?{query}"


def respond(request: Request, page: Page[T]) -> Response[list[T]]:
    """The page's items as the body, the next page named in the headers."""
    headers = {}
    if page.next:
        headers = {"X-Next-Cursor": page.next, "Link": f'<{next_link(request, page.next)}>; rel="next"'}
    return Response(page.items, headers=headers)
