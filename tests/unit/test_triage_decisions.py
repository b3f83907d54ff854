"""Triage's decisions (`services/triage/decisions.py`): a classifier's verdict becomes
`ticket.classified` with the unit's due times, once; staff reclassify with who and why."""

import uuid
from datetime import timedelta

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.triage import decisions
from lpse_helpdesk.services.triage.classifier import Classification
from lpse_helpdesk.sla.units import due

from .tickets import STANDARDS, T0, Ticket, stamp

BATAM = STANDARDS["batam"]
VERDICT = Classification(category="gangguan", priority="tinggi", confidence=0.87654)


def test_a_verdict_becomes_the_classification_with_the_units_due_times():
    ticket = Ticket()
    s = stamp()
    event = decisions.classified(ticket.received, 1, VERDICT, BATAM, s)
    assert (event.category, event.priority, event.confidence) == ("gangguan", "tinggi", 0.877)
    assert event.reason == "klasifikasi otomatis (keyakinan 88%)" and event.actor == ev.SYSTEM
    targets = BATAM.category("gangguan")
    assert event.first_response_due == due(BATAM, T0, targets.first_response)
    assert event.resolution_due == due(BATAM, T0, targets.resolution)
    assert (event.event_id, event.occurred_at, event.ticket_id) == (s.event_id, s.at,
                                                                    ticket.ticket_id)


def test_a_ticket_already_classified_is_not_classified_again():
    assert decisions.classified(Ticket().received, 2, VERDICT, BATAM, stamp()) is None


def test_no_standard_no_due_times():
    assert decisions.due_times(None, T0, "gangguan") == (None, None)
    event = decisions.classified(Ticket().received, 1, VERDICT, None, stamp())
    assert event.first_response_due is None and event.resolution_due is None


def test_categories_have_their_own_due_times():
    assert decisions.due_times(BATAM, T0, "gangguan") != decisions.due_times(
        BATAM, T0, "permintaan_layanan")


def test_a_reclassification_keeps_the_priority_and_retargets_from_arrival():
    ticket = Ticket()
    first = decisions.classified(ticket.received, 1, VERDICT, BATAM, stamp())
    actor = ev.Actor(id="koord.satu", role="koordinator")
    later = stamp(T0 + timedelta(hours=3))
    event = decisions.reclassified(ticket.ticket_id, "batam", T0, [first], "permintaan_layanan",
                                   actor, "bukan gangguan", BATAM, later)
    assert (event.category, event.priority, event.confidence) == ("permintaan_layanan",
                                                                  "tinggi", 1.0)
    assert (event.actor, event.reason, event.occurred_at) == (actor, "bukan gangguan", later.at)
    assert (event.first_response_due, event.resolution_due) == decisions.due_times(
        BATAM, T0, "permintaan_layanan")


def test_a_ticket_triage_has_not_received_cannot_be_reclassified():
    ticket_id = uuid.uuid4()
    with pytest.raises(decisions.NotClassifiable, match=f"tiket {ticket_id} belum diterima") as no:
        decisions.reclassified(ticket_id, None, None, [], "gangguan",
                               ev.Actor(id="h", role="helpdesk"), "x", None, stamp())
    assert isinstance(no.value, refusals.Conflict)


@pytest.mark.parametrize("role", ["kepala_unit", "lkpp"])
def test_only_classifying_roles_reclassify(role):
    with pytest.raises(refusals.Forbidden, match="tidak boleh mengklasifikasi"):
        decisions.check_staff(role, "batam", True, "batam")


def test_only_staff_of_the_tickets_unit_reclassify():
    decisions.check_staff("koordinator", "batam", True, "batam")
    with pytest.raises(refusals.Forbidden, match="Akun unit `lampung` tidak boleh bertindak "
                       "atas tiket unit `batam`"):
        decisions.check_staff("koordinator", "lampung", False, "batam")
