"""What a reporter's view of their ticket leaves out (`views.fold` without `include_internal`).

A reporter reads the answers, who gave them (display names: `accounts.hide_usernames`) and
the ticket's state. Staff work stays with staff: internal notes, delivery outcomes (they name
staff mailboxes and webhook URLs), assignments, merges and links (a merge's survivor must not
show its reporter another reporter's ticket), why a ticket went up a tier, what a higher tier
told the helpdesk, the LPSE Support ticket the unit opened at LKPP, and the classifier's
confidence and model. Dropped here, in the API, so no page and no client of the reporter's
token can show them.
"""

from __future__ import annotations

import msgspec

from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...schemas.api import TimelineEntry

# Events never shown to the reporter.
STAFF_ONLY = (ev.NoteAdded, ev.NotificationSent, ev.NotificationFailed, ev.TicketAssigned,
              ev.TicketUnassigned, ev.MergeReceived, ev.TicketLinked)
# Inside every event the reporter does see.
STAFF_ONLY_FIELDS = ("external_ref", "external_url")
# Per event type: the staff-to-staff parts of an event the reporter sees happen.
HIDDEN = {
    ev.TicketClassified: ("confidence", "reason", "model_version", "needs_review"),
    ev.EscalatedToCoordinator: ("reason",),
    ev.EscalatedToLkpp: ("reason",),
    ev.EscalationAnswered: ("message",),
}


def entry(event: AnyTicketEvent) -> TimelineEntry:
    hidden = (*STAFF_ONLY_FIELDS, *HIDDEN.get(type(event), ()))
    return TimelineEntry(type=event.tag, occurred_at=event.occurred_at, event={
        k: v for k, v in msgspec.to_builtins(event).items() if k not in hidden})


def timeline(events: list[AnyTicketEvent]) -> list[TimelineEntry]:
    return [entry(e) for e in events if not isinstance(e, STAFF_ONLY)]
