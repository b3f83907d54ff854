"""The desk's decisions (`services/desk/decisions.py`): staff actions, the reopen on a
reporter's "not solved", and the satisfaction survey."""

from datetime import timedelta

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.api import Close, Message, Reason, Survey
from lpse_helpdesk.schemas.survey import SKM_KEYS, SkmScores
from lpse_helpdesk.services.desk import decisions
from lpse_helpdesk.sla.units import due
from lpse_helpdesk.workflow.rules import TicketNotFound

from .tickets import STANDARDS, Ticket, stamp

BATAM = STANDARDS["batam"]


def act(action, ticket, body, role="helpdesk", username="helpdesk.satu", at=None):
    s = stamp() if at is None else stamp(at)
    return decisions.staff_action(action, ticket.number, ticket.state, body, username, role,
                                  ticket.standard, s), s


@pytest.mark.parametrize("action,body,kind,field,value", [
    ("reply", Message(message="Silakan coba lagi"), ev.TicketReplied, "message",
     "Silakan coba lagi"),
    ("request-info", Message(message="Mohon KTP"), ev.InfoRequested, "message", "Mohon KTP"),
    ("notes", Message(message="cek log"), ev.NoteAdded, "message", "cek log"),
    ("close", Close(resolution="Selesai", publish_faq=True), ev.TicketClosed, "resolution",
     "Selesai"),
])
def test_each_staff_action_is_its_event_stamped_and_signed(action, body, kind, field, value):
    ticket = Ticket().classified()
    event, s = act(action, ticket, body)
    assert type(event) is kind and getattr(event, field) == value
    assert (event.event_id, event.occurred_at) == (s.event_id, s.at)
    assert (event.ticket_id, event.tenant) == (ticket.ticket_id, "batam")
    assert event.actor == ev.Actor(id="helpdesk.satu", role="helpdesk")


def test_close_carries_the_faq_flag():
    event, _ = act("close", Ticket().classified(), Close(resolution="x", publish_faq=True))
    assert event.publish_faq is True


def test_a_staff_reopen_is_assigned_to_whoever_reopens():
    ticket = Ticket().classified().closed()
    event, _ = act("reopen", ticket, Reason(reason="belum beres"), role="koordinator",
                   username="koord.satu")
    assert isinstance(event, ev.TicketReopened)
    assert (event.reason, event.assignee) == ("belum beres", "koord.satu")


def test_the_rules_refuse_before_any_event():
    with pytest.raises(refusals.Conflict, match="sudah ditutup"):
        act("reply", Ticket().classified().closed(), Message(message="x"))
    with pytest.raises(refusals.Forbidden):
        act("close", Ticket().classified(), Close(resolution="x"), role="kepala_unit")


@pytest.mark.parametrize("action", ["escalate", "answer", "classify", "hapus"])
def test_actions_of_other_services_are_not_the_desks(action):
    with pytest.raises(refusals.NotFound, match=f"aksi `{action}` tidak dikenal"):
        act(action, Ticket().classified(), Message(message="x"), role="admin")


def test_no_history_is_an_unknown_ticket():
    with pytest.raises(TicketNotFound):
        decisions.staff_action("reply", "BTM-2026-000404", None, Message(message="x"),
                               "helpdesk.satu", "helpdesk", BATAM, stamp())


# -- the reporter says "not solved" --------------------------------------------------------

def feedback(ticket, solved=False, message="", after=timedelta(hours=2)):
    ticket.add(ev.ReporterFeedback, after=after, solved=solved, message=message)
    return ticket.events[-1]


def test_not_solved_within_the_window_reopens_to_whoever_closed():
    ticket = Ticket().classified().closed(by="koordinator")
    said = feedback(ticket, message="masih terkunci")
    event = decisions.reopen_on_not_solved(ticket.state, said, BATAM, stamp(said.occurred_at))
    assert isinstance(event, ev.TicketReopened)
    assert event.actor == decisions.REPORTER and event.assignee == "koordinator.satu"
    assert event.reason == "masih terkunci" and event.ticket_id == ticket.ticket_id


def test_not_solved_without_words_gets_the_standard_reason():
    ticket = Ticket().classified().closed()
    event = decisions.reopen_on_not_solved(ticket.state, feedback(ticket), BATAM, stamp())
    assert event.reason == "pelapor menyatakan masalah belum selesai"


def test_not_solved_after_the_reopen_window_leaves_it_closed():
    ticket = Ticket().classified().closed()
    closed_at = ticket.last_at
    window_end = due(BATAM, closed_at, BATAM.reopen_window)
    late = feedback(ticket, after=window_end - closed_at + timedelta(minutes=1))
    assert decisions.reopen_on_not_solved(ticket.state, late, BATAM, stamp()) is None
    ticket.events.pop()
    just_in = feedback(ticket, after=window_end - closed_at)
    assert decisions.reopen_on_not_solved(ticket.state, just_in, BATAM, stamp()) is not None


def test_solved_or_an_open_ticket_or_no_standard_decides_nothing():
    closed = Ticket().classified().closed()
    assert decisions.reopen_on_not_solved(closed.state, feedback(closed, solved=True), BATAM,
                                          stamp()) is None
    still_open = Ticket().classified()
    assert decisions.reopen_on_not_solved(still_open.state, feedback(still_open), BATAM,
                                          stamp()) is None
    closed = Ticket().classified().closed()
    assert decisions.reopen_on_not_solved(closed.state, feedback(closed), None, stamp()) is None


def test_only_not_solved_feedback_makes_the_desk_decide():
    ticket = Ticket().classified().closed()
    assert decisions.reopens(feedback(ticket)) is True
    assert decisions.reopens(feedback(ticket, solved=True)) is False
    assert decisions.reopens(ticket.received) is False


# -- the SKM survey -------------------------------------------------------------------------

SURVEY = Survey(scores=SkmScores(**{key: 4 for key in SKM_KEYS}), comment="cepat")


def test_a_survey_of_a_closed_ticket_is_recorded():
    ticket = Ticket().classified().closed()
    event = decisions.survey(ticket.number, ticket.state, False, SURVEY, stamp())
    assert isinstance(event, ev.SurveySubmitted)
    assert (event.scores, event.comment, event.ticket_id) == (SURVEY.scores, "cepat",
                                                              ticket.ticket_id)


def test_a_second_survey_is_refused():
    ticket = Ticket().classified().closed()
    with pytest.raises(refusals.Conflict, match="sudah diisi"):
        decisions.survey(ticket.number, ticket.state, True, SURVEY, stamp())


def test_no_survey_before_the_ticket_is_closed():
    ticket = Ticket().classified()
    with pytest.raises(refusals.Conflict, match="belum ditutup"):
        decisions.survey(ticket.number, ticket.state, False, SURVEY, stamp())
    with pytest.raises(refusals.Conflict, match="belum ditutup"):
        decisions.survey(ticket.number, None, False, SURVEY, stamp())
