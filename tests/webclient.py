"""A browser-less client of the HTML pages: keeps cookies and sends forms with their CSRF token,
as a browser would."""

from __future__ import annotations

import re

import httpx

from scenario import PASSWORD

_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')


class WebClient:
    def __init__(self, base_url: str):
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20, follow_redirects=False)

    async def __aenter__(self) -> WebClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    async def csrf(self, page: str = "/staf/masuk") -> str:
        found = _CSRF.search((await self.http.get(page)).text)
        assert found, f"no CSRF field on {page}"
        return found.group(1)

    async def form(self, path: str, data: dict, page: str = "/staf/masuk", files=None) -> httpx.Response:
        return await self.http.post(path, data={"_csrf_token": await self.csrf(page), **data},
                                    files=files)

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.form("/staf/masuk", {"username": username, "password": password,
                                                   "lanjut": "/staf/antrean"})
        return response


def text_of(response: httpx.Response) -> str:
    """The page's visible words, roughly: tags dropped, whitespace folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
