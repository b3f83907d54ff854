"""A ticket's workflow state folded from its events (`workflow.state.fold_state`)."""

from datetime import timedelta

from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.workflow.state import fold_state

from .tickets import T0, Ticket, staff_actor


def test_no_received_event_no_state():
    assert fold_state([]) is None
    closed_only = Ticket().closed().events[1:]
    assert fold_state(closed_only) is None


def test_a_received_ticket_is_new_at_the_helpdesk_since_it_arrived():
    state = Ticket().state
    assert (state.status, state.tier, state.tier_since, state.escalations) == (
        "new", "helpdesk", T0, 0)
    assert state.category is None and state.tenant == "batam"


def test_classifying_opens_a_new_ticket_and_sets_category_and_priority():
    state = Ticket().classified("permasalahan").state
    assert (state.status, state.category, state.priority) == ("open", "permasalahan", "sedang")


def test_a_reclassification_keeps_the_status():
    ticket = Ticket().classified().add(ev.InfoRequested, message="KTP?", actor=staff_actor())
    assert ticket.classified("permintaan_layanan").state.status == "waiting_reporter"


def test_asking_the_reporter_waits_for_them_and_their_reply_reopens_the_work():
    ticket = Ticket().classified().add(ev.InfoRequested, message="KTP?", actor=staff_actor())
    assert ticket.state.status == "waiting_reporter"
    assert ticket.add(ev.ReporterReplied, message="terlampir").state.status == "open"


def test_a_reply_before_classification_opens_the_ticket():
    assert Ticket().add(ev.TicketReplied, message="sedang dicek",
                        actor=staff_actor()).state.status == "open"


def test_escalation_moves_tier_status_and_counts():
    ticket = Ticket().classified().escalated("koordinator")
    state = ticket.state
    assert (state.tier, state.status, state.escalations) == ("koordinator", "escalated", 1)
    assert state.tier_since == ticket.last_at
    state = ticket.escalated("lkpp", "koordinator").state
    assert (state.tier, state.escalations) == ("lkpp", 2)


def test_a_reply_while_escalated_leaves_it_escalated():
    ticket = Ticket().classified().escalated().add(ev.ReporterReplied, message="tambahan")
    assert ticket.state.status == "escalated"


def test_an_answer_brings_it_back_to_the_helpdesk_open():
    ticket = Ticket().classified().escalated().answered()
    state = ticket.state
    assert (state.tier, state.status, state.tier_since) == ("helpdesk", "open", ticket.last_at)
    assert state.escalations == 1


def test_closing_remembers_who_and_when():
    ticket = Ticket().classified().closed(by="admin")
    state = ticket.state
    assert state.status == "closed" and state.closed_at == ticket.last_at
    assert state.closed_by == staff_actor("admin")


def test_a_reporters_late_reply_or_feedback_does_not_reopen_a_closed_ticket():
    ticket = Ticket().classified().closed().add(ev.ReporterReplied, message="masih gagal")
    assert ticket.state.status == "closed"
    assert ticket.add(ev.ReporterFeedback, solved=False).state.status == "closed"


def test_a_reopen_returns_to_the_helpdesk_open():
    ticket = Ticket().classified().escalated().closed(by="koordinator")
    ticket.add(ev.TicketReopened, reason="belum", actor=staff_actor())
    state = ticket.state
    assert (state.status, state.tier, state.tier_since) == ("open", "helpdesk", ticket.last_at)


def test_breaches_are_flagged_per_target():
    ticket = Ticket().classified().add(ev.SlaBreached, target="first_response",
                                       due_at=T0 + timedelta(hours=1))
    state = ticket.state
    assert state.first_response_breached and not state.resolution_breached
    ticket.add(ev.SlaBreached, target="resolution", due_at=T0 + timedelta(days=1))
    assert ticket.state.resolution_breached


def test_notes_and_surveys_change_nothing():
    ticket = Ticket().classified()
    before = ticket.state
    ticket.add(ev.NoteAdded, message="internal", actor=staff_actor())
    assert ticket.state == before
