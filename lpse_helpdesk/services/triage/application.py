"""Triage: classifies each received ticket and sets its SLA due times from the unit's standard;
staff may reclassify, which re-targets the due times (an event with who and why).

Triage's own events for a ticket are its aggregate: a ticket already classified is not
classified again automatically (a republished `received` has no second effect even with a new
stream sequence), and two concurrent reclassifications cannot both win (version conflict).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ...platform.consumer import Decision
from ...platform.service import ServiceContext
from ...platform.store import Stored, Write
from ...schemas import AnyTicketEvent, new_envelope
from ...schemas.events import Actor, Category, TicketClassified, TicketReceived
from ...platform.auth import Principal
from ...sla.units import due
from ...workflow.rules import TicketNotFound, check_classifier, conflict, forbidden
from .classifier import TicketClassifier


TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_tickets ("
    " ticket_id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,"
    " received_at TEXT NOT NULL)",
)


class NotClassifiable(LookupError):
    pass


class TriageService:
    def __init__(self, ctx: ServiceContext, classifier: TicketClassifier | None = None):
        self.store = ctx.store
        self.now = ctx.now
        self.standards = ctx.standards
        self.classifier = classifier or TicketClassifier.default()
        self.signer = ctx.signer

    def _due_times(self, tenant: str, received_at: datetime, category: str):
        standard = self.standards.get(tenant)
        if standard is None:
            return None, None
        targets = standard.category(category)
        return due(standard, received_at, targets.first_response), due(
            standard, received_at, targets.resolution
        )

    def on_received(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        if not isinstance(event, TicketReceived):
            return Decision()
        version = self.store.next_version(event.ticket_id)
        if version > 1:  # already classified: this is a redelivery or a republished duplicate
            return Decision()
        result = self.classifier.classify(event.subject, event.description)
        first_response_due, resolution_due = self._due_times(
            event.tenant, event.occurred_at, result.category
        )
        classified = TicketClassified(
            **new_envelope(event.ticket_id, event.tenant, self.now()),
            category=result.category, priority=result.priority,
            confidence=round(result.confidence, 3),
            reason=f"klasifikasi otomatis (keyakinan {result.confidence:.0%})",
            first_response_due=first_response_due, resolution_due=resolution_due,
        )
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
        check_classifier(staff.role)
        if not staff.may_act_in(tenant):
            raise forbidden(f"Akun unit `{staff.tenant}` tidak boleh bertindak atas tiket unit `{tenant}`")
        try:
            return self.reclassify(ticket_id, body.category, Actor(id=staff.username, role=staff.role),
                                   body.reason)
        except NotClassifiable as exc:
            raise conflict(str(exc)) from None

    def reclassify(self, ticket_id: uuid.UUID, category: Category, actor: Actor,
                   reason: str) -> TicketClassified:
        """A staff member's classification; due times are recomputed for the new category.
        Raises IntegrityError when another classification of the ticket won the race."""
        rows = self.store.query(
            f"SELECT tenant, received_at FROM {self.store.prefix}_tickets WHERE ticket_id = ?",
            (str(ticket_id),),
        )
        if not rows:
            raise NotClassifiable(f"tiket {ticket_id} belum diterima triage")
        tenant, received_at = rows[0]
        history = self.store.history(ticket_id)
        first_response_due, resolution_due = self._due_times(
            tenant, datetime.fromisoformat(received_at), category
        )
        event = TicketClassified(
            **new_envelope(ticket_id, tenant, self.now()), category=category,
            priority=history[-1].event.priority, confidence=1.0, actor=actor, reason=reason,
            first_response_due=first_response_due, resolution_due=resolution_due,
        )
        self.store.record([Stored(event, ticket_id, history[-1].originator_version + 1)])
        return event
