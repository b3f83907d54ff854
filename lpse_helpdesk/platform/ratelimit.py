"""Per-client rate limits at the anonymous doors.

Each door (creating tickets, uploading, logging in, voting on FAQ entries) allows a number of
requests a minute per client address (`Settings.rate_*_per_minute`); past it the client gets 429
with `RateLimit-*` headers saying when to try again. Requests with a valid staff token pass: a
channel frontend that posts every unit's tickets from one address logs in as staff. The client
address is the one uvicorn reports, which behind a trusted proxy (`FORWARDED_ALLOW_IPS`,
loopback by default) is the forwarded one; the portal forwards its visitor's address when it
calls the API, so its visitors are counted one by one, not as the portal.

The counting is a sliding window in memory (windows.py), checked in one plain ASGI middleware
before Litestar builds a request. Litestar's own rate-limit middleware (one per door) was
measured at about half the bench's tickets/s (640 - 698 against 1,015 - 1,361 without): it
builds a request object per door and keeps each client's history as a JSON list, encoded and
decoded on every request. The counts live in the process's memory: with several front
processes each counts alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar.exceptions import TooManyRequestsException

from .auth import InvalidToken
from .windows import SlidingWindow


@dataclass(frozen=True)
class Door:
    name: str
    method: str
    path: re.Pattern
    setting: str  # the Settings field with the number allowed a minute


DOORS = (
    Door("tiket", "POST", re.compile(r"/api/v1/tickets/?"), "rate_tickets_per_minute"),
    Door("lampiran", "POST", re.compile(r"/api/v1/attachments/?"), "rate_uploads_per_minute"),
    Door("login", "POST", re.compile(r"/api/v1/auth/token/?"), "rate_logins_per_minute"),
    Door("suara FAQ", "POST", re.compile(r"/api/v1/faq/[^/]+/helpful/?"), "rate_votes_per_minute"),
    # A reporter's "Tiket saya" link: their way in by e-mail, limited like the staff's.
    Door("tautan pelapor", "POST", re.compile(r"/api/v1/reporters/link/?"), "rate_logins_per_minute"),
)


class RateLimits:
    """ASGI middleware: refuses a request at a door whose client has used its minute."""

    def __init__(self, app, settings, signer):
        self.app, self.signer = app, signer
        self.windows = {door.name: SlidingWindow(getattr(settings, door.setting), 60.0)
                        for door in DOORS}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            door = next((d for d in DOORS if d.path.fullmatch(scope["path"])), None)
            if door is not None and not self._is_staff(scope):
                window = self.windows[door.name]
                if not window.hit((scope.get("client") or ("",))[0]):
                    raise TooManyRequestsException(headers={
                        "RateLimit-Policy": f"{window.limit}; w=60",
                        "RateLimit-Limit": str(window.limit), "RateLimit-Remaining": "0",
                        "RateLimit-Reset": str(window.retry_after())})
        await self.app(scope, receive, send)

    def _is_staff(self, scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    return False
                try:
                    self.signer.verify(token.strip())
                except InvalidToken:
                    return False
                return True
        return False


def middleware(settings, signer) -> list:
    """The rate limits as Litestar app middleware."""
    return [lambda app: RateLimits(app, settings, signer)]
