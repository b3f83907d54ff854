"""The web view and the public portal talk to the helpdesk only through its REST API.

The pages hold no decisions of their own: every read and every action is an API call made with
the caller's own credentials (the staff member's signed token from the session cookie, or the
reporter's access token), so access control is enforced once, by the services that own the
data, and the pages work the same whether the services run in this process or elsewhere
(`HELPDESK_API_URL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncio
import contextvars
import logging

import httpx

from ...platform.service import ServiceContext


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any  # decoded JSON, or bytes for downloads
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        """The API's reason for a refusal, as the user should read it."""
        if isinstance(self.body, dict):
            return str(self.body.get("detail") or self.body)
        return f"HTTP {self.status}"

    @property
    def field(self) -> str | None:
        return self.body.get("field") if isinstance(self.body, dict) else None


# httpx logs every request at INFO: one line per page view is noise beside our own JSON logs.
logging.getLogger("httpx").setLevel(logging.WARNING)


class ApiUnavailable(RuntimeError):
    """The REST API did not answer (e.g. a restart): the page says so instead of crashing."""


# The address of the visitor whose page request is being served (set by `remember_visitor`).
VISITOR: contextvars.ContextVar[str] = contextvars.ContextVar("visitor", default="")


async def remember_visitor(request) -> None:
    """Before each page: whose request this is, for the API calls the page makes."""
    VISITOR.set(request.client.host if request.client else "")


class WebFrontend:
    def __init__(self, ctx: ServiceContext):
        self.settings = ctx.settings
        self.standards = ctx.standards
        self.now = ctx.now
        self.signer = ctx.signer
        self.api_url = (ctx.settings.api_url
                        or f"http://{ctx.settings.http_host}:{ctx.settings.http_port}").rstrip("/")
        self._client: httpx.AsyncClient | None = None

    @property
    def secure_cookies(self) -> bool:
        """Cookies are `Secure` when the helpdesk is published over HTTPS."""
        return self.settings.public_url.startswith("https://")

    def units(self) -> list:
        return sorted(self.standards.values(), key=lambda s: s.name)

    def unit(self, tenant: str):
        return self.standards.get(tenant)

    async def call(self, method: str, path: str, *, staff_token: str | None = None,
                   json: Any = None, params: dict | None = None, content: bytes | None = None,
                   headers: dict | None = None, raw: bool = False) -> ApiAnswer:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.api_url, timeout=30)
        sent = dict(headers or {})
        if VISITOR.get():  # the API's rate limits count the portal's visitors, not the portal
            sent["X-Forwarded-For"] = VISITOR.get()
        if staff_token:
            sent["Authorization"] = f"Bearer {staff_token}"
        try:
            response = await self._client.request(
                method, path, json=json, params={k: v for k, v in (params or {}).items() if v},
                content=content, headers=sent)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(str(exc)) from exc
        if raw and response.is_success:
            body: Any = response.content
        else:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text[:500]}
        return ApiAnswer(response.status_code, body, response.headers)

    async def canned_replies(self, tenant: str, subject: str, limit: int = 8) -> list[dict]:
        """Published FAQ answers of the unit, those matching the ticket's subject first; none
        for a unit that does not publish FAQs (the API answers 404)."""
        found: list[dict] = []
        for query in (subject, ""):
            answer = await self.call("GET", "/api/v1/faq", params={"tenant": tenant, "q": query})
            if answer.ok:
                found += [e for e in answer.body if e["id"] not in {f["id"] for f in found}]
        return found[:limit]

    async def until_shown(self, number: str, event_id: str, *, staff_token: str | None = None,
                          token: str | None = None, timeout: float = 3.0) -> bool:
        """Wait until the ticket view includes an event just decided, so the page the user
        is sent to next shows what they did. The decision may belong to another service
        (escalation, intake) and reach the desk's view one bus round trip later."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            answer = await self.call("GET", f"/api/v1/tickets/{number}", staff_token=staff_token,
                                     params={"token": token} if token else None)
            timeline = answer.body.get("timeline", []) if answer.ok else []
            if any(str(e["event"].get("event_id")) == str(event_id) for e in timeline):
                return True
            if asyncio.get_running_loop().time() > deadline:
                return False  # the page says it was done; the timeline catches up on reload
            await asyncio.sleep(0.05)

    async def close_on_stop(self, stop) -> None:
        """A runtime task: the API client lives as long as the process."""
        await stop.wait()
        if self._client is not None:
            await self._client.aclose()
