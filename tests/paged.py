"""Walking a paged list of the API (`platform/paging.py`) to its end, for the tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


async def walk(http, path: str, params: dict, headers: dict | None = None,
               limit: int = 2) -> tuple[list, int]:
    """Every item of the list at `path`, following `X-Next-Cursor`, and the pages read; each
    page's `Link` names the next one with the same query and that cursor."""
    items, pages, after = [], 0, None
    while True:
        r = await http.get(path, headers=headers, params={
            **params, "limit": limit, **({"after": after} if after else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert isinstance(page, list) and len(page) <= limit
        items += page
        pages += 1
        after = r.headers.get("X-Next-Cursor")
        if after is None:
            assert "Link" not in r.headers
            return items, pages
        link = r.headers["Link"]
        assert link.endswith('>; rel="next"') and link.startswith(f"<{path}")
        query = parse_qs(urlsplit(link[1:-len('>; rel="next"')]).query)
        assert query["after"] == [after] and query["limit"] == [str(limit)]
        assert len(page) == limit


async def refuses_bad_paging(http, path: str, params: dict, headers: dict | None = None):
    """A too-large `limit` and a forged `after` are 400s naming the field, in Indonesian."""
    r = await http.get(path, headers=headers, params={**params, "limit": 201})
    assert r.status_code == 400 and r.json()["field"] == "limit", r.text
    assert "maksimal 200" in r.json()["detail"], r.text
    r = await http.get(path, headers=headers, params={**params, "after": "bukan-kursor"})
    assert r.status_code == 400 and r.json()["field"] == "after", r.text
    assert "tidak sah" in r.json()["detail"], r.text
