"""Escalation along a chain of any length (here four tiers: Helpdesk, Koordinator, Admin PPE,
LKPP): one tier up at a time, an answer from each tier back down to the helpdesk, an `lkpp`
account answering at the LKPP tier, automatic escalation on every tier's deadline, the LPSE
Support ticket recorded on the way to LKPP, and the chain rules of the standard."""

import msgspec
import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import AnyTicketEvent
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.api import Escalate, Message
from lpse_helpdesk.services.desk import views
from lpse_helpdesk.services.escalation import decisions
from lpse_helpdesk.sla.units import due
from lpse_helpdesk.standards.model import Target, Tier
from lpse_helpdesk.standards.validation import problems
from lpse_helpdesk.workflow.rules import allowed_actions, check

from .tickets import STANDARDS, Staff, Ticket, stamp

HOURS = Target(amount=4, unit="hours", clock="business")
FOUR = msgspec.structs.replace(STANDARDS["batam"], escalation=(
    Tier(tier="helpdesk", role="helpdesk", label="Helpdesk", deadline=HOURS),
    Tier(tier="koordinator", role="koordinator", label="Koordinator Helpdesk", deadline=HOURS),
    Tier(tier="admin_ppe", role="admin_ppe", label="Admin PPE", deadline=HOURS),
    Tier(tier="lkpp", role="admin_ppe", label="Helpdesk LKPP"),
))
TIERS = ["helpdesk", "koordinator", "admin_ppe", "lkpp"]
CHAIN = list(zip(TIERS, TIERS[1:]))


def at(tier: str) -> Ticket:
    """A Batam ticket walked up the four-tier chain to `tier`, one tier at a time."""
    ticket = Ticket().classified()
    for below, above in CHAIN:
        if below == tier:
            break
        ticket.escalated(above, below)
    return ticket


def chain_of(*tiers: str):
    return msgspec.structs.replace(FOUR, escalation=tuple(
        Tier(tier=t, role="helpdesk" if t == "lkpp" else t, label=t) for t in tiers))


def chain_problems(standard) -> list[str]:
    return [f"{p.path}: {p.message}" for p in problems(standard, None)
            if p.path.startswith("escalation")]


def test_a_four_tier_chain_with_koordinator_and_admin_ppe_is_valid():
    assert chain_problems(FOUR) == []
    assert chain_problems(chain_of("helpdesk", "admin_ppe", "koordinator", "lkpp")) == []
    assert [FOUR.tier_after(t) for t, _ in CHAIN] == ["koordinator", "admin_ppe", "lkpp"]
    assert FOUR.tier_after("lkpp") is None


def test_lkpp_is_last_and_each_tier_appears_once():
    assert chain_problems(chain_of("helpdesk", "lkpp", "koordinator")) == [
        "escalation[1].tier: 'lkpp' is outside the unit and must be the last tier "
        "(Helpdesk LKPP harus tingkat terakhir)"]
    assert chain_problems(chain_of("helpdesk", "koordinator", "koordinator")) == [
        "escalation.tier[2]: duplicate value 'koordinator' (nilai ganda)"]


@pytest.mark.parametrize("below,above", CHAIN)
def test_each_tier_escalates_one_tier_up(below, above):
    role = FOUR.tier(below).role
    assert check("escalate", at(below).state, role, FOUR) == above
    event = decisions.staff_action("escalate", at(below).number, at(below).state,
                                   Escalate(reason="naik"), Staff(role=role), FOUR, stamp())
    assert (event.from_tier, getattr(event, "to_tier", "lkpp")) == (below, above)
    assert isinstance(event, ev.EscalatedToLkpp if above == "lkpp" else ev.EscalatedToCoordinator)


@pytest.mark.parametrize("below,above", CHAIN)
def test_only_the_role_of_the_tier_escalates(below, above):
    other = "koordinator" if FOUR.tier(below).role != "koordinator" else "helpdesk"
    with pytest.raises(refusals.Forbidden, match=f"dari tingkat `{below}`"):
        check("escalate", at(below).state, other, FOUR)


def test_no_escalation_past_the_top_not_even_by_admin_or_lkpp():
    for role in ("admin_ppe", "admin", "lkpp"):
        with pytest.raises(refusals.Conflict, match="sudah di tingkat terakhir"):
            check("escalate", at("lkpp").state, role, FOUR)


@pytest.mark.parametrize("tier,role", [("koordinator", "koordinator"), ("admin_ppe", "admin_ppe"),
                                       ("lkpp", "admin_ppe"), ("lkpp", "lkpp"),
                                       ("lkpp", "admin")])
def test_every_higher_tier_answers_back_down_to_the_helpdesk(tier, role):
    ticket = at(tier)
    assert check("answer", ticket.state, role, FOUR) == "helpdesk"
    event = decisions.staff_action("answer", ticket.number, ticket.state, Message(message="ok"),
                                   Staff(username=f"{role}.satu", role=role), FOUR, stamp())
    assert (event.from_tier, event.to_tier, event.actor.role) == (tier, "helpdesk", role)
    ticket.events.append(event)
    assert (ticket.state.tier, ticket.state.status) == ("helpdesk", "open")
    assert ticket.state.escalations == TIERS.index(tier)  # the walk up, one tier at a time


def test_an_lkpp_account_answers_at_the_lkpp_tier_of_a_shipped_standard():
    batam = STANDARDS["batam"]
    ticket = Ticket().classified().escalated().escalated("lkpp", "koordinator")
    assert check("answer", ticket.state, "lkpp", batam) == "helpdesk"
    assert "answer" in allowed_actions(ticket.state, "lkpp", batam)
    assert "answer" in allowed_actions(ticket.state, "koordinator", batam)  # the local relay


def test_an_lkpp_account_acts_nowhere_below_lkpp():
    at_koordinator = Ticket().classified().escalated()
    with pytest.raises(refusals.Forbidden, match="hanya `koordinator` yang menjawab"):
        check("answer", at_koordinator.state, "lkpp", STANDARDS["batam"])
    assert allowed_actions(at_koordinator.state, "lkpp", STANDARDS["batam"]) == ["notes"]
    with pytest.raises(refusals.Forbidden):
        check("reply", Ticket().classified().state, "lkpp", STANDARDS["batam"])


def test_escalating_to_lkpp_records_the_lpse_support_ticket():
    ticket = at("admin_ppe")
    body = Escalate(reason="butuh LKPP", external_ref="LPSE-SUP-2026-0042",
                    external_url="https://lpse-support.lkpp.go.id/ticket/42")
    event = decisions.staff_action("escalate", ticket.number, ticket.state, body,
                                   Staff(role="admin_ppe"), FOUR, stamp())
    assert (event.external_ref, event.external_url) == (body.external_ref, body.external_url)
    again = msgspec.json.decode(msgspec.json.encode(event), type=AnyTicketEvent)
    assert again == event


def test_an_lpse_support_ticket_only_goes_with_lkpp():
    ticket = at("helpdesk")
    with pytest.raises(refusals.Invalid, match="hanya saat eskalasi ke LKPP"):
        decisions.staff_action("escalate", ticket.number, ticket.state,
                               Escalate(reason="x", external_ref="LPSE-1"), Staff(), FOUR, stamp())


def test_a_link_must_be_a_web_address():
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"reason": "x", "external_url": "javascript:alert(1)"}, Escalate)


def test_an_escalation_recorded_without_the_new_fields_still_decodes():
    old = at("admin_ppe").escalated("lkpp", "admin_ppe").events[-1]
    raw = msgspec.json.decode(msgspec.json.encode(old))
    del raw["external_ref"], raw["external_url"]
    again = msgspec.json.decode(msgspec.json.encode(raw), type=AnyTicketEvent)
    assert again == old and again.external_ref == ""


@pytest.mark.parametrize("below,above", CHAIN)
def test_every_tier_deadline_escalates_automatically_one_tier(below, above):
    ticket = at(below)
    clock = decisions.tier_deadline(ticket.state, ticket.events, FOUR)
    assert clock.tier == below and clock.due_at == due(FOUR, ticket.state.tier_since, HOURS)
    event = decisions.auto_escalation(ticket.state, below, FOUR, stamp())
    assert event.automatic is True and event.from_tier == below
    assert getattr(event, "to_tier", "lkpp") == above


def test_the_top_tier_has_no_deadline_and_no_automatic_escalation():
    top = at("lkpp")
    assert decisions.tier_deadline(top.state, top.events, FOUR).due_at is None
    assert decisions.auto_escalation(top.state, "lkpp", FOUR, stamp()) is None
    assert top.state.escalations == 3


def test_the_lpse_support_ticket_is_in_the_staff_view_only():
    ticket = at("admin_ppe")
    ticket.events.append(decisions.staff_action(
        "escalate", ticket.number, ticket.state,
        Escalate(reason="butuh LKPP", external_ref="LPSE-SUP-1", external_url="https://x.id/1"),
        Staff(role="admin_ppe"), FOUR, stamp()))
    staff = views.fold(ticket.events, include_internal=True, standard=FOUR, role="helpdesk")
    reporter = views.fold(ticket.events, standard=FOUR)
    [(_, shown)] = [(e.type, e.event) for e in staff.timeline if e.type.endswith("to_lkpp")]
    [(_, hidden)] = [(e.type, e.event) for e in reporter.timeline if e.type.endswith("to_lkpp")]
    assert (shown["external_ref"], shown["external_url"]) == ("LPSE-SUP-1", "https://x.id/1")
    assert "external_ref" not in hidden and "external_url" not in hidden
    assert shown["reason"] == "butuh LKPP" and "reason" not in hidden  # staff to staff
    assert reporter.tier == "lkpp"
