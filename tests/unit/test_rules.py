"""The workflow's decision table (`workflow.rules`): who may do what to a ticket in which state,
and the refusal type each "no" is (its HTTP status follows from the type)."""

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.workflow import rules
from lpse_helpdesk.workflow.rules import TicketNotFound, allowed_actions, check, check_unit

from .tickets import STANDARDS, Ticket

BATAM, BASARNAS, LAMPUNG = STANDARDS["batam"], STANDARDS["basarnas"], STANDARDS["lampung"]


def open_ticket(tenant="batam", kind="ticket"):
    return Ticket(tenant=tenant, kind=kind).classified()


@pytest.mark.parametrize("action", ["reply", "request-info", "close"])
@pytest.mark.parametrize("role", ["helpdesk", "admin"])
def test_the_helpdesk_and_admin_talk_to_the_reporter_at_the_first_tier(action, role):
    assert check(action, open_ticket().state, role, BATAM) is None


@pytest.mark.parametrize("action", ["reply", "request-info", "close"])
@pytest.mark.parametrize("role", ["koordinator", "kepala_unit", "admin_ppe"])
def test_other_roles_may_not_talk_to_the_reporter(action, role):
    with pytest.raises(refusals.Forbidden, match="hanya `helpdesk` yang membalas"):
        check(action, open_ticket().state, role, BATAM)


@pytest.mark.parametrize("action", ["reply", "request-info", "close"])
def test_nobody_replies_while_a_higher_tier_holds_the_ticket(action):
    state = open_ticket().escalated("koordinator").state
    with pytest.raises(refusals.Conflict, match="sedang di tingkat `koordinator`"):
        check(action, state, "admin", BATAM)


@pytest.mark.parametrize("action", ["reply", "request-info", "close", "escalate", "answer"])
def test_a_closed_ticket_refuses_everything_but_notes_reopen_classify(action):
    state = open_ticket().closed().state
    with pytest.raises(refusals.Conflict, match="sudah ditutup; buka kembali"):
        check(action, state, "admin", BATAM)


@pytest.mark.parametrize("role", ["helpdesk", "koordinator", "admin_ppe", "lkpp", "kepala_unit",
                                  "admin"])
def test_every_staff_role_writes_notes_even_on_a_closed_ticket(role):
    assert check("notes", open_ticket().closed().state, role, BATAM) is None


def test_a_non_staff_role_writes_no_notes():
    with pytest.raises(refusals.Forbidden, match="tidak boleh menulis catatan"):
        check("notes", open_ticket().state, "reporter", BATAM)


def test_reopen_needs_a_closed_ticket():
    with pytest.raises(refusals.Conflict, match="belum ditutup"):
        check("reopen", open_ticket().state, "helpdesk", BATAM)


@pytest.mark.parametrize("tenant,role", [("batam", "helpdesk"), ("batam", "koordinator"),
                                         ("batam", "admin"), ("batam", "kepala_unit"),
                                         ("lampung", "koordinator")])
def test_reopen_by_the_helpdesk_coordinator_admin_or_the_units_monitor(tenant, role):
    assert check("reopen", open_ticket(tenant).closed().state, role, STANDARDS[tenant]) is None


@pytest.mark.parametrize("tenant,role", [("batam", "admin_ppe"), ("lampung", "kepala_unit")])
def test_reopen_refused_to_roles_that_neither_close_nor_monitor(tenant, role):
    with pytest.raises(refusals.Forbidden, match="tidak boleh membuka kembali"):
        check("reopen", open_ticket(tenant).closed().state, role, STANDARDS[tenant])


@pytest.mark.parametrize("tenant,expected", [("batam", "koordinator"), ("basarnas", "admin_ppe"),
                                             ("lampung", "koordinator")])
def test_escalate_returns_the_next_tier_of_the_units_chain(tenant, expected):
    assert check("escalate", open_ticket(tenant).state, "helpdesk", STANDARDS[tenant]) == expected


def test_the_second_tier_escalates_to_lkpp():
    state = open_ticket().escalated("koordinator").state
    assert check("escalate", state, "koordinator", BATAM) == "lkpp"


@pytest.mark.parametrize("tenant,tiers", [("batam", ["koordinator", "lkpp"]),
                                          ("lampung", ["koordinator"])])
def test_no_escalation_past_the_top_of_the_chain(tenant, tiers):
    ticket = open_ticket(tenant)
    previous = "helpdesk"
    for tier in tiers:
        ticket.escalated(tier, previous)
        previous = tier
    with pytest.raises(refusals.Conflict, match="tingkat terakhir rantai eskalasi"):
        check("escalate", ticket.state, "admin", STANDARDS[tenant])


def test_only_the_acting_tier_escalates():
    with pytest.raises(refusals.Forbidden, match="hanya `helpdesk` yang boleh mengeskalasi"):
        check("escalate", open_ticket().state, "koordinator", BATAM)


def test_answer_needs_an_escalated_ticket():
    with pytest.raises(refusals.Conflict, match="tidak sedang dieskalasi"):
        check("answer", open_ticket().state, "helpdesk", BATAM)


@pytest.mark.parametrize("role", ["koordinator", "admin"])
def test_the_higher_tier_answers_back_to_the_helpdesk(role):
    assert check("answer", open_ticket().escalated().state, role, BATAM) == "helpdesk"


def test_the_helpdesk_does_not_answer_for_the_higher_tier():
    with pytest.raises(refusals.Forbidden, match="hanya `koordinator` yang menjawab"):
        check("answer", open_ticket().escalated().state, "helpdesk", BATAM)


def test_at_lkpp_the_units_relaying_role_answers():
    # Basarnas: LKPP has no account; Admin PPE relays its answer.
    state = open_ticket("basarnas").escalated("admin_ppe").escalated("lkpp", "admin_ppe").state
    assert check("answer", state, "admin_ppe", BASARNAS) == "helpdesk"


def test_a_complaint_at_the_first_tier_is_the_unit_heads():
    state = open_ticket(kind="complaint").state
    assert rules.acting_role(BATAM, state) == "kepala_unit"
    assert check("reply", state, "kepala_unit", BATAM) is None
    with pytest.raises(refusals.Forbidden, match="hanya `kepala_unit`"):
        check("reply", state, "helpdesk", BATAM)


@pytest.mark.parametrize("role", rules.CLASSIFYING_ROLES)
def test_classifying_roles_classify_in_any_state(role):
    assert check("classify", open_ticket().closed().state, role, BATAM) is None


@pytest.mark.parametrize("role", ["kepala_unit", "lkpp"])
def test_other_roles_do_not_classify(role):
    with pytest.raises(refusals.Forbidden, match="tidak boleh mengklasifikasi"):
        check("classify", open_ticket().state, role, BATAM)


def test_an_unknown_action_is_not_found():
    with pytest.raises(refusals.NotFound, match="aksi `merge` tidak dikenal"):
        check("merge", open_ticket().state, "admin", BATAM)


def test_staff_of_another_unit_are_forbidden():
    check_unit(True, "BTM-2026-000001", "batam")
    with pytest.raises(refusals.Forbidden, match="milik unit `batam`, bukan unit Anda"):
        check_unit(False, "BTM-2026-000001", "batam")


def test_an_unknown_ticket_is_a_not_found_refusal_and_a_lookup_error():
    refusal = TicketNotFound("BTM-2026-000009")
    assert isinstance(refusal, refusals.NotFound) and isinstance(refusal, LookupError)
    assert refusal.message == "Tiket BTM-2026-000009 tidak ditemukan atau token salah / not found"


# -- allowed_actions: what a staff page offers ----------------------------------------------

def test_the_helpdesk_on_an_open_ticket_may_do_all_but_answer_and_reopen():
    assert allowed_actions(open_ticket().state, "helpdesk", BATAM) == [
        "classify", "reply", "request-info", "notes", "escalate", "close"]


def test_the_helpdesk_on_a_closed_ticket_may_classify_note_reopen():
    assert allowed_actions(open_ticket().closed().state, "helpdesk", BATAM) == [
        "classify", "notes", "reopen"]


def test_the_coordinator_holding_an_escalated_ticket_may_answer_or_escalate():
    state = open_ticket().escalated().state
    assert allowed_actions(state, "koordinator", BATAM) == [
        "classify", "notes", "escalate", "answer"]
    assert allowed_actions(state, "helpdesk", BATAM) == ["classify", "notes"]


def test_the_unit_head_may_only_note_an_ordinary_ticket():
    assert allowed_actions(open_ticket().state, "kepala_unit", BATAM) == ["notes"]


def test_no_standard_no_actions():
    assert allowed_actions(open_ticket().state, "admin", None) == []


def test_the_lkpp_tier_of_lampung_does_not_exist():
    # Lampung's chain ends at the Koordinator: an LKPP escalation is unknown to its standard.
    with pytest.raises(KeyError):
        check("escalate", open_ticket("lampung").escalated().escalated("lkpp", "koordinator").state,
              "admin", LAMPUNG)


def test_an_event_of_note_changes_no_rule():
    ticket = open_ticket().add(ev.NoteAdded, message="catatan", actor=ev.Actor(
        id="x", role="helpdesk"))
    assert check("reply", ticket.state, "helpdesk", BATAM) is None
