"""faq_publisher: closed tickets flagged as publishable become FAQ drafts without who asked;
the unit's Koordinator / Admin PPE reviews them (owns the FAQ entry events).

Units whose standard does not publish FAQs (`[faq] publish = false`) get none. Each entry is
an aggregate in this service's store, so two reviewers cannot both decide on one version.
"""

from __future__ import annotations

import uuid

from ...platform.auth import Principal
from ...platform.consumer import Decision
from ...platform.service import ServiceContext
from ...platform.store import Stored
from ...schemas import AnyTicketEvent
from ...schemas import faq
from ...workflow import history
from ...workflow.state import fold_state
from . import decisions, privacy, views
from .decisions import REVIEWERS  # noqa: F401 - the review routes' roles

TABLES = (*history.TABLES, *views.TABLES)


class FaqService:
    def __init__(self, ctx: ServiceContext):
        self.store, self.standards, self.now, self.signer = (
            ctx.store, ctx.standards, ctx.now, ctx.signer)
        views.create_search(self.store)

    # --- drafts from closed tickets ----------------------------------------------------------
    def on_ticket_event(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        decision = Decision(writes=[history.append(self.store, event, stream_seq)])
        decision.writes += privacy.scrub(self.store, event)
        standard = self.standards.get(event.tenant)
        if not decisions.drafts(event, standard):
            return decision
        events = history.including(history.load(self.store, event.ticket_id).events, event)
        state = fold_state(events)
        if state is None or privacy.erased(events):
            return decision
        text = decisions.scrubbed(state, event, standard)
        similar = views.similar_published(self.store, event.tenant, text.question)
        draft = decisions.draft(state, event, text, similar, uuid.uuid4(), self.now())
        decision.events.append(Stored(draft, draft.entry_id, 1))
        decision.writes += views.project(self.store, draft).writes
        return decision

    # --- the public read model ---------------------------------------------------------------
    def on_faq_event(self, event, stream_seq: int) -> Decision:
        return views.project(self.store, event)

    # --- review ------------------------------------------------------------------------------
    def review(self, action: str, entry_id: uuid.UUID, body, staff: Principal) -> faq.FaqEvent:
        own = self.store.history(entry_id)
        entry = [stored.event for stored in own]
        standard = self.standards.get(entry[0].tenant) if entry else None
        target = None
        if action == "merge" and body.into is not None:
            target = [stored.event for stored in self.store.history(body.into)]
        event = decisions.review(action, entry_id, entry, body, staff, standard, target,
                                 uuid.uuid4(), self.now())
        self.store.record([Stored(event, entry_id, own[-1].originator_version + 1)],
                          writes=views.project(self.store, event).writes)
        return event
