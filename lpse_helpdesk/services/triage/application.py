"""Triage: classifies each received ticket and sets its SLA due times from the unit's standard;
staff may reclassify, which re-targets the due times (an event with who and why).

Triage's own events for a ticket are its aggregate: a ticket already classified is not
classified again automatically (a republished `received` has no second effect even with a new
stream sequence), and two concurrent reclassifications cannot both win (version conflict).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ...platform.auth import Principal
from ...platform.consumer import Decision
from ...platform.service import ServiceContext
from ...platform.store import Stored, Write
from ...schemas import AnyTicketEvent
from ...schemas.events import Actor, Category, TicketClassified, TicketReceived
from ...workflow.rules import TicketNotFound
from ...workflow.stamp import Stamp
from . import decisions
from .classifier import TicketClassifier
from .decisions import NotClassifiable  # noqa: F401 - where callers have found it

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_tickets ("
    " ticket_id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,"
    " received_at TEXT NOT NULL)",
)


class TriageService:
    def __init__(self, ctx: ServiceContext, classifier: TicketClassifier | None = None):
        self.store = ctx.store
        self.now = ctx.now
        self.standards = ctx.standards
        # The shipped model, or one `classifier retrain` left in the data folder: read now.
        self.classifier = classifier or TicketClassifier.for_data_dir(ctx.settings.data_dir)
        self.signer = ctx.signer

    def on_received(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        if not isinstance(event, TicketReceived):
            return Decision()
        version = self.store.next_version(event.ticket_id)
        if version > 1:  # already classified: no need to run the classifier
            return Decision()
        verdict = self.classifier.classify(event.subject, event.description, event.tenant)
        classified = decisions.classified(event, version, verdict,
                                          self.standards.get(event.tenant), Stamp.new(self.now()))
        remember = Write(
            f"INSERT INTO {self.store.prefix}_tickets VALUES (?, ?, ?, ?)",
            (str(event.ticket_id), event.number, event.tenant, event.occurred_at.isoformat()),
        )
        return Decision(events=[Stored(classified, event.ticket_id, version)], writes=[remember])

    def ticket_by_number(self, number: str) -> tuple[uuid.UUID, str] | None:
        rows = self.store.query(
            f"SELECT ticket_id, tenant FROM {self.store.prefix}_tickets WHERE number = ?", (number,)
        )
        return (uuid.UUID(rows[0][0]), rows[0][1]) if rows else None

    def classify(self, number: str, body, staff: Principal) -> TicketClassified:
        """A staff member's classification over HTTP: checked for unit and role."""
        found = self.ticket_by_number(number)
        if found is None:
            raise TicketNotFound(number)
        ticket_id, tenant = found
        decisions.check_staff(staff.role, staff.tenant, staff.may_act_in(tenant), tenant)
        return self.reclassify(ticket_id, body.category, Actor(id=staff.username, role=staff.role),
                               body.reason)

    def reclassify(self, ticket_id: uuid.UUID, category: Category, actor: Actor,
                   reason: str) -> TicketClassified:
        """A staff member's classification; due times are recomputed for the new category.
        Raises IntegrityError when another classification of the ticket won the race."""
        rows = self.store.query(
            f"SELECT tenant, received_at FROM {self.store.prefix}_tickets WHERE ticket_id = ?",
            (str(ticket_id),),
        )
        tenant, received_at = rows[0] if rows else (None, None)
        own = self.store.history(ticket_id)
        event = decisions.reclassified(
            ticket_id, tenant, datetime.fromisoformat(received_at) if received_at else None,
            [stored.event for stored in own], category, actor, reason,
            self.standards.get(tenant) if tenant else None, Stamp.new(self.now()))
        self.store.record([Stored(event, ticket_id, own[-1].originator_version + 1)])
        return event
