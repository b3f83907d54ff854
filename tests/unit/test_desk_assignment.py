"""Who works a ticket (`services/desk/decisions.py`: `assignment`, `assignee_of`): assign,
claim and unassign as events, and the assignee folded from a ticket's history."""

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.desk import decisions, views
from lpse_helpdesk.workflow.rules import TicketNotFound

from .tickets import Ticket, stamp


def decide(action, ticket, assignee="", active=True, username="helpdesk.satu", role="helpdesk"):
    return decisions.assignment(action, ticket.number, ticket.state, ticket.events, assignee,
                                active, username, role, stamp())


def assigned(ticket, assignee, by="koord.satu"):
    return ticket.add(ev.TicketAssigned, assignee=assignee,
                      actor=ev.Actor(id=by, role="koordinator"))


def test_assign_names_the_assignee_the_actor_and_nobody_before():
    ticket = Ticket().classified()
    event = decide("assign", ticket, assignee="helpdesk.dua", username="koord.satu",
                   role="koordinator")
    assert isinstance(event, ev.TicketAssigned)
    assert (event.assignee, event.previous) == ("helpdesk.dua", "")
    assert event.actor == ev.Actor(id="koord.satu", role="koordinator")
    assert (event.ticket_id, event.tenant) == (ticket.ticket_id, "batam")


def test_a_claim_is_an_assignment_to_oneself_and_reassigning_names_the_previous():
    ticket = assigned(Ticket().classified(), "helpdesk.dua")
    event = decide("claim", ticket, username="helpdesk.satu")
    assert (event.assignee, event.actor.id, event.previous) == (
        "helpdesk.satu", "helpdesk.satu", "helpdesk.dua")


def test_unassign_gives_the_ticket_back_and_names_who_had_it():
    ticket = assigned(Ticket().classified(), "helpdesk.dua")
    event = decide("unassign", ticket)
    assert isinstance(event, ev.TicketUnassigned) and event.previous == "helpdesk.dua"


def test_an_assignee_not_active_in_the_unit_is_refused_by_field():
    with pytest.raises(refusals.Invalid, match="bukan staf aktif unit `batam`") as refused:
        decide("assign", Ticket().classified(), assignee="orang.luar", active=False)
    assert refused.value.field == "assignee"


@pytest.mark.parametrize("action,assignee", [("assign", "helpdesk.dua"),
                                             ("claim", "")])
def test_assigning_to_the_current_assignee_is_a_conflict(action, assignee):
    ticket = assigned(Ticket().classified(), "helpdesk.dua")
    with pytest.raises(refusals.Conflict, match="sudah ditugaskan kepada `helpdesk.dua`"):
        decide(action, ticket, assignee=assignee, username="helpdesk.dua")


def test_unassigning_an_unassigned_ticket_is_a_conflict():
    with pytest.raises(refusals.Conflict, match="belum ditugaskan"):
        decide("unassign", Ticket().classified())


@pytest.mark.parametrize("action", ["assign", "claim"])
def test_a_closed_ticket_is_not_assigned(action):
    with pytest.raises(refusals.Conflict, match="sudah ditutup"):
        decide(action, Ticket().classified().closed(), assignee="helpdesk.dua")


def test_a_reporter_role_assigns_nothing_and_an_unknown_ticket_is_not_found():
    with pytest.raises(refusals.Forbidden):
        decide("claim", Ticket().classified(), role="reporter")
    with pytest.raises(TicketNotFound):
        decisions.assignment("claim", "BTM-2026-000404", None, [], "", True, "helpdesk.satu",
                             "helpdesk", stamp())


def test_the_assignee_follows_assignments_unassignments_and_reopens():
    ticket = Ticket().classified()
    assert decisions.assignee_of(ticket.events) == ""
    assigned(ticket, "helpdesk.dua")
    assert decisions.assignee_of(ticket.events) == "helpdesk.dua"
    ticket.add(ev.TicketUnassigned, actor=ev.Actor(id="helpdesk.dua", role="helpdesk"),
               previous="helpdesk.dua")
    assert decisions.assignee_of(ticket.events) == ""
    ticket.closed().add(ev.TicketReopened, reason="belum beres", assignee="koord.satu",
                        actor=ev.Actor(id="koord.satu", role="koordinator"))
    assert decisions.assignee_of(ticket.events) == "koord.satu"


def test_staff_see_the_assignee_and_the_reporter_neither_it_nor_the_events():
    ticket = assigned(Ticket().classified(), "helpdesk.dua")
    staff = views.fold(ticket.events, include_internal=True, standard=ticket.standard,
                       role="helpdesk")
    reporter = views.fold(ticket.events, standard=ticket.standard)
    assert staff.assignee == "helpdesk.dua"
    assert staff.timeline[-1].type == "ticket.assigned"
    assert reporter.assignee == ""
    assert "ticket.assigned" not in [entry.type for entry in reporter.timeline]


def test_search_text_holds_number_subject_description_and_reporter_case_folded():
    text = views.search_text(Ticket().received)
    for part in ("btm-2026-000001", "tidak bisa login spse", "akun terkunci",
                 "budi santoso", "budi@contoh.co.id", "cv maju jaya"):
        assert part in text
