"""Triage's HTTP entrypoint: staff reclassify a ticket (`POST /api/v1/tickets/{number}/classify`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import post

from ...platform.apidoc import ACTION_DESCRIPTIONS
from ...platform.auth import Principal
from ...platform.http import errors, service_routes
from ...schemas.events import Category
from ...workflow.http import TicketActions
from .application import TriageService


class Classify(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    category: Category
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class Classification(msgspec.Struct, frozen=True):
    number: str
    category: Category
    first_response_due: datetime | None
    resolution_due: datetime | None
    event_id: uuid.UUID | None = None  # the ticket.classified event this decision stored


class TriageActions(TicketActions):
    @post("/classify", status_code=200, summary="Aksi staf: classify",
          description=ACTION_DESCRIPTIONS["classify"], responses=errors(401, 403, 404, 409, 503))
    async def ticket_classify(self, number: str, data: Classify, staff: Principal,
                              service: TriageService) -> Classification:
        event = await asyncio.to_thread(service.classify, number, data, staff)
        return Classification(number=number, category=event.category,
                              first_response_due=event.first_response_due,
                              resolution_due=event.resolution_due, event_id=event.event_id)


def routes(service: TriageService) -> list:
    return [service_routes(service, TriageActions)]
