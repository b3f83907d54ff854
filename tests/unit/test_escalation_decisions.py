"""Escalation's decisions (`services/escalation/decisions.py`): staff escalations and answers,
the automatic escalation on a tier's deadline, SLA breaches, and the clocks the timer watches."""

from datetime import timedelta

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.platform.store import utc_text
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.api import Message, Reason
from lpse_helpdesk.services.escalation import decisions
from lpse_helpdesk.services.escalation.decisions import TIER_DEADLINE
from lpse_helpdesk.sla.tickets import pauses_of
from lpse_helpdesk.sla.units import due
from lpse_helpdesk.workflow.rules import TicketNotFound

from .tickets import STANDARDS, T0, Staff, Ticket, stamp

BATAM, BASARNAS = STANDARDS["batam"], STANDARDS["basarnas"]


def staff_action(action, ticket, body, staff=Staff()):
    return decisions.staff_action(action, ticket.number, ticket.state, body, staff,
                                  ticket.standard, stamp())


def test_the_helpdesk_escalates_to_the_units_second_tier():
    event = staff_action("escalate", Ticket().classified(), Reason(reason="perlu PPE"))
    assert isinstance(event, ev.EscalatedToCoordinator)
    assert (event.from_tier, event.to_tier, event.reason) == ("helpdesk", "koordinator",
                                                              "perlu PPE")
    assert event.automatic is False and event.actor == ev.Actor(id="helpdesk.satu",
                                                                role="helpdesk")
    assert event.resolution_due is None  # Batam's second tier keeps the category's target


def test_escalating_to_lkpp_retargets_resolution_from_arrival():
    ticket = Ticket("basarnas").classified().escalated("admin_ppe")
    staff = Staff(username="ppe.satu", role="admin_ppe", tenant="basarnas")
    event = staff_action("escalate", ticket, Reason(reason="butuh LKPP"), staff)
    assert isinstance(event, ev.EscalatedToLkpp) and event.from_tier == "admin_ppe"
    override = BASARNAS.tier("lkpp").resolution_override
    assert event.resolution_due == due(BASARNAS, T0, override)
    assert event.resolution_due == T0 + timedelta(hours=72)  # a calendar clock


def test_the_higher_tier_answers_back_to_the_helpdesk():
    staff = Staff(username="koord.satu", role="koordinator")
    event = staff_action("answer", Ticket().classified().escalated(), Message(message="beres"),
                         staff)
    assert isinstance(event, ev.EscalationAnswered)
    assert (event.from_tier, event.to_tier, event.message) == ("koordinator", "helpdesk",
                                                               "beres")


def test_staff_of_another_unit_may_not_escalate():
    with pytest.raises(refusals.Forbidden, match="milik unit `batam`, bukan unit Anda"):
        staff_action("escalate", Ticket().classified(), Reason(reason="x"),
                     Staff(tenant="lampung"))


def test_an_admin_of_every_unit_may():
    staff = Staff(username="root", role="admin", tenant="*")
    assert staff_action("escalate", Ticket().classified(), Reason(reason="x"), staff)


def test_the_rules_refuse_an_answer_nobody_asked_for():
    with pytest.raises(refusals.Conflict, match="tidak sedang dieskalasi"):
        staff_action("answer", Ticket().classified(), Message(message="x"))


@pytest.mark.parametrize("action", ["reply", "close", "classify"])
def test_the_desks_actions_are_not_escalations(action):
    with pytest.raises(refusals.NotFound):
        staff_action(action, Ticket().classified(), Message(message="x"))


def test_no_history_is_an_unknown_ticket():
    with pytest.raises(TicketNotFound):
        decisions.staff_action("escalate", "BTM-2026-000404", None, Reason(reason="x"),
                               Staff(), BATAM, stamp())


# -- the tier deadline ----------------------------------------------------------------------

def test_a_missed_tier_deadline_escalates_by_the_system():
    ticket = Ticket().classified()
    event = decisions.auto_escalation(ticket.state, "helpdesk", BATAM, stamp())
    assert isinstance(event, ev.EscalatedToCoordinator) and event.automatic is True
    assert event.actor == ev.SYSTEM and event.to_tier == "koordinator"
    deadline = BATAM.tier("helpdesk").deadline.describe()
    assert event.reason == (f"otomatis: tingkat `helpdesk` belum menyelesaikan tiket dalam "
                            f"{deadline}; dilaporkan ke kepala_unit")


def test_no_automatic_escalation_once_the_ticket_moved_on():
    moved = Ticket().classified().escalated()
    assert decisions.auto_escalation(moved.state, "helpdesk", BATAM, stamp()) is None
    closed = Ticket().classified().closed()
    assert decisions.auto_escalation(closed.state, "helpdesk", BATAM, stamp()) is None
    assert decisions.auto_escalation(None, "helpdesk", BATAM, stamp()) is None
    assert decisions.auto_escalation(Ticket().state, "helpdesk", None, stamp()) is None


def test_no_automatic_escalation_past_the_top():
    top = Ticket().classified().escalated().escalated("lkpp", "koordinator")
    assert decisions.auto_escalation(top.state, "lkpp", BATAM, stamp()) is None


def test_the_tier_deadline_runs_from_arrival_at_the_tier():
    ticket = Ticket().classified()
    clock = decisions.tier_deadline(ticket.state, ticket.events, BATAM)
    assert clock.target == TIER_DEADLINE and clock.tier == "helpdesk" and not clock.met
    assert clock.due_at == due(BATAM, T0, BATAM.tier("helpdesk").deadline)
    # 09:00 on a Monday plus 4 working hours, over the 12:00-13:00 break: 14:00 in Jakarta.
    assert clock.due_at == T0 + timedelta(hours=5)


def test_no_tier_deadline_while_waiting_closed_or_at_a_tier_without_one():
    waiting = Ticket().classified().add(ev.InfoRequested, message="?",
                                        actor=ev.Actor(id="h", role="helpdesk"))
    closed = Ticket().classified().closed()
    second = Ticket().classified().escalated()  # Batam's Koordinator tier has no deadline
    for ticket in (waiting, closed, second):
        assert decisions.tier_deadline(ticket.state, ticket.events, BATAM).due_at is None


def test_each_visit_of_a_tier_is_its_own_once_key():
    ticket = Ticket().classified()
    first = decisions.tier_deadline(ticket.state, ticket.events, BATAM).once_key
    ticket.escalated().answered()
    again = decisions.tier_deadline(ticket.state, ticket.events, BATAM).once_key
    assert first == f"tier:helpdesk@{utc_text(T0)}"
    assert again == f"tier:helpdesk@{utc_text(ticket.last_at)}" and again != first


def test_the_visit_key_writes_times_as_the_store_does():
    for moment in (T0, T0 + timedelta(microseconds=7), T0.replace(year=999)):
        assert decisions.visit_key("koordinator", moment) == f"tier:koordinator@{utc_text(moment)}"


def test_the_clocks_are_the_sla_targets_and_the_tier_deadline():
    ticket = Ticket().classified()
    clocks = decisions.clocks(ticket.events, ticket.state, BATAM)
    assert [c.target for c in clocks] == ["first_response", "resolution", TIER_DEADLINE]
    assert all(c.once_key == c.target for c in clocks[:2])
    assert decisions.clocks(ticket.events, ticket.state, None) == []


def test_the_deadline_pauses_while_the_reporter_is_asked():
    ticket = Ticket("basarnas")
    ticket.classified().add(ev.InfoRequested, message="?", actor=ev.Actor(id="h", role="helpdesk"))
    ticket.add(ev.ReporterReplied, after=timedelta(hours=2), message="ini")
    clock = decisions.tier_deadline(ticket.state, ticket.events, BASARNAS)
    unpaused = due(BASARNAS, T0, BASARNAS.tier("helpdesk").deadline)
    assert clock.due_at == due(BASARNAS, T0, BASARNAS.tier("helpdesk").deadline,
                               pauses_of(ticket.events))
    assert clock.due_at > unpaused


def test_a_breach_names_its_target_tier_and_due_time():
    ticket = Ticket()
    s = stamp()
    event = decisions.sla_breach(ticket.ticket_id, "batam", "first_response", "helpdesk",
                                 T0 + timedelta(hours=1), s)
    assert isinstance(event, ev.SlaBreached) and event.event_id == s.event_id
    assert (event.target, event.tier, event.due_at) == ("first_response", "helpdesk",
                                                        T0 + timedelta(hours=1))
