"""The FAQ's decisions (`services/faq_publisher/decisions.py`): which closes become drafts, what
a draft says without who asked, and the reviewers' decisions on an entry."""

import uuid
from datetime import timedelta

import msgspec
import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas import faq
from lpse_helpdesk.services.faq_publisher import decisions

from .tickets import STANDARDS, T0, Staff, Ticket

BASARNAS = STANDARDS["basarnas"]
REVIEWER = Staff(username="ppe.satu", role="admin_ppe", tenant="basarnas")
ENTRY = uuid.uuid4()


def closed_ticket(tenant="basarnas", publish=True, description="Akun terkunci sejak pagi."):
    ticket = Ticket(tenant)
    ticket.events[0] = msgspec.structs.replace(ticket.received, description=description)
    ticket.classified("permasalahan")
    ticket.add(ev.TicketClosed, resolution="Akun dibuka; hubungi budi@contoh.co.id bila gagal.",
               actor=ev.Actor(id="h", role="helpdesk"), publish_faq=publish)
    return ticket


def test_only_a_publishable_close_in_a_publishing_unit_drafts():
    assert decisions.drafts(closed_ticket().events[-1], BASARNAS) is True
    assert decisions.drafts(closed_ticket(publish=False).events[-1], BASARNAS) is False
    batam = closed_ticket("batam")  # Batam's standard publishes no FAQ
    assert decisions.drafts(batam.events[-1], STANDARDS["batam"]) is False
    assert decisions.drafts(closed_ticket().events[-1], None) is False
    assert decisions.drafts(closed_ticket().received, BASARNAS) is False


def test_the_draft_leaves_out_who_asked():
    ticket = closed_ticket(description="Saya Budi Santoso dari CV Maju Jaya, akun terkunci.")
    text = decisions.scrubbed(ticket.state, ticket.events[-1], BASARNAS)
    assert "Budi" not in text.question and "Maju Jaya" not in text.question
    assert "budi@contoh.co.id" not in text.answer
    assert text.removed and all(count > 0 for count in text.removed.values())


def test_the_draft_is_one_entry_per_close_with_the_tickets_category():
    ticket = closed_ticket()
    close = ticket.events[-1]
    text = decisions.Scrubbed("q" * 2500, "jawaban", {"email": 1})
    similar = [uuid.uuid4()]
    draft = decisions.draft(ticket.state, close, text, similar, uuid.uuid4(), T0)
    assert draft.entry_id == decisions.entry_id_of(close) == uuid.uuid5(decisions.NAMESPACE,
                                                                         str(close.event_id))
    assert (draft.category, draft.source_ticket_id, draft.similar) == (
        "permasalahan", ticket.ticket_id, similar)
    assert len(draft.question) == 2000 and draft.removed == {"email": 1}


# -- review ---------------------------------------------------------------------------------

def entry(*kinds, question="Bagaimana membuka akun terkunci?", tenant="basarnas",
          entry_id=ENTRY):
    at = T0
    events = [faq.FaqDrafted(event_id=uuid.uuid4(), entry_id=entry_id, tenant=tenant,
                             occurred_at=at, source_ticket_id=uuid.uuid4(), question=question,
                             answer="Hubungi helpdesk.")]
    actor = ev.Actor(id="ppe.satu", role="admin_ppe")
    for kind in kinds:
        at += timedelta(minutes=1)
        events.append(kind(event_id=uuid.uuid4(), entry_id=entry_id, tenant=tenant,
                           occurred_at=at, actor=actor))
    return events


class Body(msgspec.Struct):
    reason: str = ""
    question: str | None = None
    answer: str | None = None
    into: uuid.UUID | None = None
    confirm_digits: bool = False


def review(action, events, body=Body(), staff=REVIEWER, target=None):
    return decisions.review(action, ENTRY, events, body, staff, BASARNAS, target, uuid.uuid4(), T0)


def test_an_entrys_status_follows_its_events():
    assert decisions.status(entry()) == "draft"
    assert decisions.status(entry(faq.FaqPublished)) == "published"
    assert decisions.status(entry(faq.FaqPublished, faq.FaqRetracted)) == "retracted"
    assert decisions.status(entry(faq.FaqRejected)) == "rejected"


def test_publishing_a_draft():
    event = review("publish", entry())
    assert isinstance(event, faq.FaqPublished) and event.entry_id == ENTRY
    assert event.actor == ev.Actor(id="ppe.satu", role="admin_ppe")


def test_no_entry_is_not_found():
    with pytest.raises(refusals.NotFound, match=f"entri FAQ {ENTRY} tidak ditemukan"):
        review("publish", [])


@pytest.mark.parametrize("role", ["helpdesk", "lkpp"])
def test_only_reviewers_review(role):
    with pytest.raises(refusals.Forbidden, match="tidak meninjau FAQ"):
        review("publish", entry(), staff=Staff(role=role, tenant="basarnas"))


def test_reviewers_of_another_unit_may_not():
    with pytest.raises(refusals.Forbidden, match="milik unit `basarnas`, bukan unit Anda"):
        review("publish", entry(), staff=Staff(role="koordinator", tenant="batam"))


@pytest.mark.parametrize("action,kinds", [("publish", (faq.FaqPublished,)),
                                          ("retract", ()), ("reject", (faq.FaqRejected,)),
                                          ("edit", (faq.FaqRejected,))])
def test_each_action_starts_only_from_its_states(action, kinds):
    with pytest.raises(refusals.Conflict, match="entri berstatus"):
        review(action, entry(*kinds), Body(question="q", answer="a"))


def test_a_long_number_holds_publishing_until_confirmed():
    held = entry(question="Akun 1234567890 terkunci, bagaimana?")
    with pytest.raises(refusals.Conflict):
        review("publish", held)
    assert isinstance(review("publish", held, Body(confirm_digits=True)), faq.FaqPublished)


def test_edit_and_retract_a_published_entry():
    published = entry(faq.FaqPublished)
    edited = review("edit", published, Body(question="Q baru?", answer="A baru"))
    assert isinstance(edited, faq.FaqEdited) and edited.question == "Q baru?"
    retracted = review("retract", published, Body(reason="usang"))
    assert isinstance(retracted, faq.FaqRetracted) and retracted.reason == "usang"


def test_merge_only_into_a_published_entry_of_the_same_unit():
    into = uuid.uuid4()
    published = entry(faq.FaqPublished, entry_id=into)
    merged = review("merge", entry(), Body(into=into), target=published)
    assert isinstance(merged, faq.FaqMerged) and merged.into == into
    for target in (None, entry(entry_id=into),
                   entry(faq.FaqPublished, entry_id=into, tenant="batubara")):
        with pytest.raises(refusals.Conflict, match="entri tujuan harus entri terbit"):
            review("merge", entry(), Body(into=into), target=target)
