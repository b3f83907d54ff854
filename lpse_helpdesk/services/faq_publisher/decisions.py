"""The FAQ's decisions, as pure functions: whether a closed ticket becomes a draft and what the
draft says without who asked, and a reviewer's publish, reject, edit, retract or merge. From the
ticket's state or the entry's history, the command, the unit's standard and the new event's id
and time, to an event or a domain refusal (application.py loads and records)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from ... import refusals
from ...schemas import events as ev
from ...schemas import faq
from ...workflow.state import TicketState
from .scrub import Keep, digit_warning, own_contacts, scrub

NAMESPACE = uuid.UUID("3a5d2b1c-0f7e-4d8a-9b6c-5e4f3a2b1c0d")
REVIEWERS = ("koordinator", "admin_ppe", "kepala_unit", "admin")
# Which entry states each review action may start from.
ALLOWED = {"publish": ("draft",), "reject": ("draft",), "edit": ("draft", "published"),
           "retract": ("published",), "merge": ("draft",)}
STATUS_AFTER = {faq.FaqPublished: "published", faq.FaqRejected: "rejected",
                faq.FaqRetracted: "retracted", faq.FaqMerged: "merged"}


class Scrubbed(NamedTuple):
    question: str
    answer: str
    removed: dict  # what kind of detail was taken out, and how often


def envelope(event_id: uuid.UUID, entry_id: uuid.UUID, tenant: str, at: datetime) -> dict:
    return {"event_id": event_id, "entry_id": entry_id, "tenant": tenant, "occurred_at": at}


def drafts(event, standard) -> bool:
    """A close the staff marked publishable, in a unit whose standard publishes FAQs."""
    return (isinstance(event, ev.TicketClosed) and event.publish_faq and standard is not None
            and standard.faq.publish)


def entry_id_of(close: ev.TicketClosed) -> uuid.UUID:
    """One entry per close, the same on every redelivery of it."""
    return uuid.uuid5(NAMESPACE, str(close.event_id))


def scrubbed(state: TicketState, close: ev.TicketClosed, standard) -> Scrubbed:
    """The question (subject and description) and the answer (the resolution) without the
    reporter's name, organisation or contacts; the unit's own contacts stay."""
    r = state.received
    names, organizations = (r.reporter.name,), (r.reporter.organization,)
    keep = Keep(own_contacts(standard))
    question, removed_q = scrub(f"{r.subject}\n\n{r.description}", names, organizations, keep)
    answer, removed_a = scrub(close.resolution, names, organizations, keep)
    return Scrubbed(question, answer, dict(removed_q + removed_a))


def draft(state: TicketState, close: ev.TicketClosed, text: Scrubbed,
          similar: list[uuid.UUID], event_id: uuid.UUID, at: datetime) -> faq.FaqDrafted:
    """The draft of a closed ticket; `similar` are the unit's published entries like it."""
    return faq.FaqDrafted(
        **envelope(event_id, entry_id_of(close), close.tenant, at),
        source_ticket_id=close.ticket_id, category=state.category,
        question=text.question[:2000], answer=text.answer, removed=text.removed,
        similar=similar,
    )


def status(entry: list) -> str:
    """An entry's status from its events: a draft until published, rejected, retracted, merged."""
    current = "draft"
    for event in entry:
        current = STATUS_AFTER.get(type(event), current)
    return current


def review(action: str, entry_id: uuid.UUID, entry: list, body, staff, standard,
           target: list | None, event_id: uuid.UUID, at: datetime) -> faq.FaqEvent:
    """A reviewer's decision on an entry (its events, `entry`). `staff` has `username`, `role`
    and `may_act_in(tenant)`; `target` is the history of the entry a merge goes into."""
    if not entry:
        raise refusals.NotFound(f"entri FAQ {entry_id} tidak ditemukan")
    tenant = entry[0].tenant
    if staff.role not in REVIEWERS:
        raise refusals.Forbidden(
            f"peran `{staff.role}` tidak meninjau FAQ (boleh: {', '.join(REVIEWERS)})")
    if not staff.may_act_in(tenant):
        raise refusals.Forbidden(f"entri FAQ milik unit `{tenant}`, bukan unit Anda")
    current = status(entry)
    if current not in ALLOWED[action]:
        raise refusals.Conflict(f"entri berstatus `{current}`; `{action}` hanya dari "
                                f"{' atau '.join(ALLOWED[action])}")
    if action == "publish" and not body.confirm_digits:
        refuse_long_numbers(entry, standard)
    if action == "merge" and (not target or status(target) != "published"
                              or target[0].tenant != tenant):
        raise refusals.Conflict("entri tujuan harus entri terbit dari unit yang sama")
    actor = ev.Actor(id=staff.username, role=staff.role)
    fields = envelope(event_id, entry_id, tenant, at)
    if action == "publish":  # the reviewed text, in clear: the draft's is sealed
        text = next(e for e in reversed(entry) if isinstance(e, (faq.FaqDrafted, faq.FaqEdited)))
        return faq.FaqPublished(**fields, actor=actor, question=text.question, answer=text.answer)
    if action == "reject":
        return faq.FaqRejected(**fields, reason=body.reason, actor=actor)
    if action == "retract":
        return faq.FaqRetracted(**fields, reason=body.reason, actor=actor)
    if action == "edit":
        return faq.FaqEdited(**fields, question=body.question, answer=body.answer, actor=actor)
    return faq.FaqMerged(**fields, into=body.into, actor=actor)


def refuse_long_numbers(entry: list, standard) -> None:
    """A number of 8 digits or more that no scrubbing rule explained may be an account or an
    ID: the entry goes public only once a reviewer confirms it may stand."""
    text = next(e for e in reversed(entry) if isinstance(e, (faq.FaqDrafted, faq.FaqEdited)))
    warning = digit_warning(text.question, text.answer,
                            Keep(own_contacts(standard)) if standard else Keep())
    if warning:
        raise refusals.Conflict(warning)
