"""What the unit's staff see of their mailboxes' fetching (fetch.py): each mailbox's state, its
last error (a wrong password, an unreachable server) and since when, so that a clerk knows
mail is not arriving before a reporter calls about it."""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from ...platform.auth import Principal, authorize, staff_login
from ...platform.http import errors
from . import fetch
from .application import IntakeService
from .held_http import HELD_MAIL_ROLES


class MailboxState(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    mailbox: str  # protocol://user@host:port/folder
    state: str  # starting | ok | error
    error: str  # the server's own words
    problem: str  # the same in plain Indonesian
    since: str
    retry_at: str  # after an error: when fetching is tried again
    last_ok: str
    fetched: int
    refused: int


class MailboxController(Controller):
    path = "/api/v1/mail/mailboxes"
    guards = [staff_login]
    tags = ["staf"]

    @get("/", responses=errors(401, 403),
         summary="Keadaan kotak surat unit yang diambil helpdesk / the unit's fetched mailboxes",
         description="Tiap kotak surat pada `[mail] mailboxes` standar unit: `ok`, atau `error` "
         "dengan sebabnya (mis. sandi salah, server tak terjangkau) dan sejak kapan; pengambilan "
         "dicoba lagi sendiri / each mailbox of the unit's standard: `ok`, or `error` with why "
         "and since when; fetching retries by itself.")
    async def list_mailboxes(self, staff: Principal, service: IntakeService,
                             tenant: str) -> list[MailboxState]:
        authorize(staff, tenant, HELD_MAIL_ROLES)
        return [MailboxState(**s) for s in fetch.statuses(service, tenant)]


CONTROLLERS = [MailboxController]
