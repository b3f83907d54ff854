"""Triage's HTTP entrypoint: staff reclassify a ticket (`POST /api/v1/tickets/{number}/classify`)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Request, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from ...platform.auth import require_staff
from ...platform.store import IntegrityError
from ...schemas.events import Actor, Category
from .application import NotClassifiable, TriageService

CLASSIFYING_ROLES = ("helpdesk", "koordinator", "admin_ppe", "admin")


class Classify(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    category: Category
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class Classification(msgspec.Struct, frozen=True):
    number: str
    category: Category
    first_response_due: datetime | None
    resolution_due: datetime | None


def routes(service: TriageService) -> list:
    @post("/api/v1/tickets/{number:str}/classify", status_code=200, tags=["staf"],
          summary="Klasifikasi ulang oleh staf / staff reclassification")
    async def classify(request: Request, number: FromPath[str],
                       data: JSONBody[Classify]) -> Classification:
        found = await asyncio.to_thread(service.ticket_by_number, number)
        if found is None:
            raise HTTPException(status_code=404, detail=f"Tiket {number} belum ada di triage")
        ticket_id, tenant = found
        staff = require_staff(request, service.signer, tenant, CLASSIFYING_ROLES)
        actor = Actor(id=staff.username, role=staff.role)
        try:
            event = await asyncio.to_thread(
                service.reclassify, ticket_id, data.category, actor, data.reason)
        except NotClassifiable as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        except IntegrityError:
            raise HTTPException(status_code=409, detail=(
                f"Tiket {number} baru saja diklasifikasi staf lain; muat ulang dan coba lagi "
                "/ another classification won")) from None
        return Classification(number=number, category=event.category,
                              first_response_due=event.first_response_due,
                              resolution_due=event.resolution_due)

    return [classify]
