"""Triage's decisions, as pure functions: a classifier's verdict on a received ticket becomes
`ticket.classified` with the SLA due times of the unit's standard, once per ticket; a staff
member's reclassification re-targets them, with who and why. No store, no bus (application.py
loads and records; the classifier itself is classifier.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from ... import refusals
from ...schemas.events import Actor, TicketClassified, TicketReceived
from ...sla.units import due
from ...workflow.rules import check_classifier
from ...workflow.stamp import Stamp


class NotClassifiable(refusals.Conflict, LookupError):
    """Triage has not received the ticket yet (its `ticket.received` is still on the way)."""


def due_times(standard, received_at: datetime,
              category: str) -> tuple[datetime | None, datetime | None]:
    """First response and resolution due times of a category, by the unit's standard."""
    if standard is None:
        return None, None
    targets = standard.category(category)
    return (due(standard, received_at, targets.first_response),
            due(standard, received_at, targets.resolution))


def classified(received: TicketReceived, version: int, verdict, standard,
               stamp: Stamp) -> TicketClassified | None:
    """The automatic classification of a received ticket; None when triage already decided on
    it (`version`, the next of triage's own sequence, is past 1): a redelivered or republished
    `received` has no second effect. `verdict` has `category`, `priority`, `confidence`."""
    if version > 1:
        return None
    first_response_due, resolution_due = due_times(standard, received.occurred_at,
                                                   verdict.category)
    return TicketClassified(
        **stamp.envelope(received.ticket_id, received.tenant),
        category=verdict.category, priority=verdict.priority,
        confidence=round(verdict.confidence, 3),
        reason=f"klasifikasi otomatis (keyakinan {verdict.confidence:.0%})",
        first_response_due=first_response_due, resolution_due=resolution_due,
        model_version=getattr(verdict, "model_version", ""),
        needs_review=getattr(verdict, "needs_review", False),
    )


def check_staff(role: str, staff_tenant: str, may_act_in: bool, tenant: str) -> None:
    """Who may reclassify a ticket over HTTP: a classifying role of the ticket's unit."""
    check_classifier(role)
    if not may_act_in:
        raise refusals.Forbidden(
            f"Akun unit `{staff_tenant}` tidak boleh bertindak atas tiket unit `{tenant}`")


def reclassified(ticket_id: uuid.UUID, tenant: str | None, received_at: datetime | None,
                 own: list[TicketClassified], category: str, actor: Actor, reason: str,
                 standard, stamp: Stamp) -> TicketClassified:
    """A staff member's classification: the priority stays, the due times follow the new
    category. `own` is triage's earlier classifications of the ticket (its last one gives the
    priority); `tenant` None: triage has not received the ticket."""
    if tenant is None or received_at is None or not own:
        raise NotClassifiable(f"tiket {ticket_id} belum diterima triage")
    first_response_due, resolution_due = due_times(standard, received_at, category)
    return TicketClassified(
        **stamp.envelope(ticket_id, tenant), category=category, priority=own[-1].priority,
        confidence=1.0, actor=actor, reason=reason,
        first_response_due=first_response_due, resolution_due=resolution_due,
    )
