"""Per-client rate limits at the anonymous doors, with Litestar's own rate-limit middleware.

Each door (creating tickets, uploading, logging in, voting on FAQ entries) allows a number of
requests a minute per client address (`Settings.rate_*_per_minute`); past it the client gets 429
with `RateLimit-*` headers saying when to try again. Requests with a valid staff token pass: a
channel frontend that posts every unit's tickets from one address logs in as staff. The client
address is the one uvicorn reports, which behind a trusted proxy (`FORWARDED_ALLOW_IPS`,
loopback by default) is the forwarded one; the portal forwards its visitor's address when it
calls the API, so its visitors are counted one by one, not as the portal.

The counts live in the process's memory: with several front processes each counts alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from .auth import InvalidToken, bearer


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
)


def _is_staff(request) -> bool:
    token = bearer(request)
    if token is None:
        return False
    try:
        request.app.state.signer.verify(token)
    except InvalidToken:
        return False
    return True


def _limit(door: Door, per_minute: int) -> Any:
    def applies(request) -> bool:
        return (request.method == door.method and door.path.fullmatch(request.url.path) is not None
                and not _is_staff(request))

    def client(request) -> str:
        return f"{door.name}:{get_remote_address(request)}"

    return RateLimitConfig(rate_limit=("minute", per_minute), check_throttle_handler=applies,
                           identifier_for_request=client).middleware


def middleware(settings) -> list:
    """One rate-limit middleware per door."""
    return [_limit(door, getattr(settings, door.setting)) for door in DOORS]
