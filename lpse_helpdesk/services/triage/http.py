"""Triage's HTTP entrypoint: staff reclassify a ticket (`POST /api/v1/tickets/{number}/classify`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from ...schemas.events import Category
from ...workflow.http import action_route
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


def routes(service: TriageService) -> list:
    def classify(number: str, body: Classify, staff) -> Classification:
        event = service.classify(number, body, staff)
        return Classification(number=number, category=event.category,
                              first_response_due=event.first_response_due,
                              resolution_due=event.resolution_due, event_id=event.event_id)

    return [action_route("classify", Classify, service.signer, classify, Classification)]
