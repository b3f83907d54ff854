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
from ...schemas import events as ev
from ...schemas import faq
from ...workflow import history
from ...workflow.rules import ActionRefused, conflict, forbidden
from ...workflow.state import fold_state
from . import views
from .scrub import Keep, digit_warning, own_contacts, scrub

TABLES = (*history.TABLES, *views.TABLES)
NAMESPACE = uuid.UUID("3a5d2b1c-0f7e-4d8a-9b6c-5e4f3a2b1c0d")
REVIEWERS = ("koordinator", "admin_ppe", "kepala_unit", "admin")
# Which entry states each review action may start from.
ALLOWED = {"publish": ("draft",), "reject": ("draft",), "edit": ("draft", "published"),
           "retract": ("published",), "merge": ("draft",)}


class FaqService:
    def __init__(self, ctx: ServiceContext):
        self.store, self.standards, self.now, self.signer = (
            ctx.store, ctx.standards, ctx.now, ctx.signer)
        views.create_search(self.store)

    # --- drafts from closed tickets ----------------------------------------------------------
    def on_ticket_event(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        decision = Decision(writes=[history.append(self.store, event, stream_seq)])
        standard = self.standards.get(event.tenant)
        if not (isinstance(event, ev.TicketClosed) and event.publish_faq and standard is not None
                and standard.faq.publish):
            return decision
        events = history.including(history.load(self.store, event.ticket_id).events, event)
        state = fold_state(events)
        if state is None:
            return decision
        r = state.received
        names, organizations = (r.reporter.name,), (r.reporter.organization,)
        keep = Keep(own_contacts(standard))
        question, removed_q = scrub(f"{r.subject}\n\n{r.description}", names, organizations, keep)
        answer, removed_a = scrub(event.resolution, names, organizations, keep)
        entry_id = uuid.uuid5(NAMESPACE, str(event.event_id))
        draft = faq.FaqDrafted(
            **self._envelope(entry_id, event.tenant), source_ticket_id=event.ticket_id,
            category=state.category, question=question[:2000], answer=answer,
            removed=dict(removed_q + removed_a),
            similar=views.similar_published(self.store, event.tenant, question),
        )
        decision.events.append(Stored(draft, entry_id, 1))
        decision.writes += views.project(self.store, draft).writes
        return decision

    def _envelope(self, entry_id: uuid.UUID, tenant: str) -> dict:
        return {"event_id": uuid.uuid4(), "entry_id": entry_id, "tenant": tenant,
                "occurred_at": self.now()}

    # --- the public read model ---------------------------------------------------------------
    def on_faq_event(self, event, stream_seq: int) -> Decision:
        return views.project(self.store, event)

    # --- review ------------------------------------------------------------------------------
    def review(self, action: str, entry_id: uuid.UUID, body, staff: Principal) -> faq.FaqEvent:
        own = self.store.history(entry_id)
        if not own:
            raise ActionRefused(404, f"entri FAQ {entry_id} tidak ditemukan")
        tenant = own[0].event.tenant
        if staff.role not in REVIEWERS:
            raise forbidden(f"peran `{staff.role}` tidak meninjau FAQ (boleh: {', '.join(REVIEWERS)})")
        if not staff.may_act_in(tenant):
            raise forbidden(f"entri FAQ milik unit `{tenant}`, bukan unit Anda")
        status = self._status(own)
        if status not in ALLOWED[action]:
            raise conflict(f"entri berstatus `{status}`; `{action}` hanya dari "
                           f"{' atau '.join(ALLOWED[action])}")
        actor = ev.Actor(id=staff.username, role=staff.role)
        envelope = self._envelope(entry_id, tenant)
        if action == "publish" and not body.confirm_digits:
            self._refuse_long_numbers(own, tenant)
        if action == "merge":
            target = self.store.history(body.into)
            if not target or self._status(target) != "published" or target[0].event.tenant != tenant:
                raise conflict("entri tujuan harus entri terbit dari unit yang sama")
        event = {
            "publish": lambda: faq.FaqPublished(**envelope, actor=actor),
            "reject": lambda: faq.FaqRejected(**envelope, reason=body.reason, actor=actor),
            "retract": lambda: faq.FaqRetracted(**envelope, reason=body.reason, actor=actor),
            "edit": lambda: faq.FaqEdited(**envelope, question=body.question, answer=body.answer,
                                          actor=actor),
            "merge": lambda: faq.FaqMerged(**envelope, into=body.into, actor=actor),
        }[action]()
        self.store.record([Stored(event, entry_id, own[-1].originator_version + 1)],
                          writes=views.project(self.store, event).writes)
        return event

    def _refuse_long_numbers(self, own, tenant: str) -> None:
        """A number of 8 digits or more that no scrubbing rule explained may be an account or
        an ID: the entry goes public only once a reviewer confirms it may stand."""
        text = next(s.event for s in reversed(own)
                    if isinstance(s.event, (faq.FaqDrafted, faq.FaqEdited)))
        standard = self.standards.get(tenant)
        warning = digit_warning(text.question, text.answer,
                                Keep(own_contacts(standard)) if standard else Keep())
        if warning:
            raise conflict(warning)

    @staticmethod
    def _status(own) -> str:
        status = "draft"
        for stored in own:
            status = {faq.FaqPublished: "published", faq.FaqRejected: "rejected",
                      faq.FaqRetracted: "retracted", faq.FaqMerged: "merged"}.get(
                type(stored.event), status)
        return status
