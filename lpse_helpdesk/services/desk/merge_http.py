"""Merging a duplicate into another ticket of its unit, and linking related tickets: staff
actions on a ticket (`DeskService.merge`, `DeskService.link`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import post

from ...platform.auth import Principal
from ...platform.http import errors
from ...schemas.api import ActionResult
from ...workflow.http import TicketActions
from .application import DeskService

TicketNumber = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{1,64}$")]
PAIR_ERRORS = errors(400, 401, 403, 404, 409)


class Merge(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/tickets/{number}/merge`: the open ticket of the same unit it duplicates."""

    into: TicketNumber


class Link(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/tickets/{number}/link`: a related ticket of the same unit."""

    to: TicketNumber


class MergeController(TicketActions):
    @post("/merge", status_code=200, responses=PAIR_ERRORS,
          summary="Gabungkan tiket duplikat / merge a duplicate",
          description="Tiket ini ditutup sebagai digabung ke `into` (tiket terbuka unit yang "
          "sama); kedua linimasa mencatatnya dan pelapor diberi tahu / closes this ticket as "
          "merged into `into`, an open ticket of the same unit; both timelines show it.")
    async def merge(self, number: str, data: Merge, staff: Principal,
                    service: DeskService) -> ActionResult:
        return await asyncio.to_thread(service.merge, number, data.into, staff)

    @post("/link", status_code=200, responses=PAIR_ERRORS,
          summary="Tautkan tiket terkait / link a related ticket",
          description="Kedua tiket (unit yang sama) saling menampilkan tautannya / both tickets "
          "of one unit show the link.")
    async def link(self, number: str, data: Link, staff: Principal,
                   service: DeskService) -> ActionResult:
        return await asyncio.to_thread(service.link, number, data.to, staff)
