"""Triage: classifies each received ticket and sets its SLA due times from the unit's standard.

Triage's own events for a ticket are its aggregate: a ticket already classified by the system is
not classified again (a republished `received` has no second effect even with a new stream seq).
"""

from __future__ import annotations

from ...platform.consumer import Decision
from ...platform.service import ServiceContext
from ...platform.store import Stored
from ...schemas import AnyTicketEvent, new_envelope
from ...schemas.events import TicketClassified, TicketReceived
from ...sla.units import due
from .classifier import TicketClassifier


class TriageService:
    def __init__(self, ctx: ServiceContext, classifier: TicketClassifier | None = None):
        self.store = ctx.store
        self.standards = ctx.standards
        self.classifier = classifier or TicketClassifier.default()

    def on_received(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        if not isinstance(event, TicketReceived):
            return Decision()
        version = self.store.next_version(event.ticket_id)
        if version > 1:  # already classified: this is a redelivery or a republished duplicate
            return Decision()
        result = self.classifier.classify(event.subject, event.description)
        standard = self.standards.get(event.tenant)
        first_response_due = resolution_due = None
        if standard is not None:
            category = standard.category(result.category)
            first_response_due = due(standard, event.occurred_at, category.first_response)
            resolution_due = due(standard, event.occurred_at, category.resolution)
        classified = TicketClassified(
            **new_envelope(event.ticket_id, event.tenant),
            category=result.category, priority=result.priority,
            confidence=round(result.confidence, 3),
            reason=f"klasifikasi otomatis (keyakinan {result.confidence:.0%})",
            first_response_due=first_response_due, resolution_due=resolution_due,
        )
        return Decision(events=[Stored(classified, event.ticket_id, version)])
