"""Subjects without the ticket (`codec.subject_for`, the id in a header) and intake's read model
of the facts a mail reply is judged by (`services/intake/ticket_facts.py`)."""

from __future__ import annotations

import pytest

from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas import subject_filter, subject_for
from lpse_helpdesk.schemas.codec import headers_for
from lpse_helpdesk.schemas.faq import FaqRejected
from lpse_helpdesk.services.intake import ticket_facts
from lpse_helpdesk.settings import Settings

from .tickets import Ticket, staff_actor


def test_a_subject_names_unit_and_event_and_the_header_names_the_ticket():
    ticket = Ticket().classified()
    subjects = {subject_for(e) for e in ticket.events}
    assert subjects == {"helpdesk.batam.ticket.received", "helpdesk.batam.ticket.classified"}
    assert {headers_for(e)["Helpdesk-Ticket"] for e in ticket.events} == {str(ticket.ticket_id)}


def test_a_faq_event_names_its_entry_in_its_header():
    import uuid
    from datetime import UTC, datetime

    entry = uuid.uuid4()
    event = FaqRejected(event_id=uuid.uuid4(), tenant="tuban", occurred_at=datetime.now(UTC),
                        entry_id=entry, reason="sudah ada", actor=staff_actor())
    assert subject_for(event) == "helpdesk.tuban.faq.rejected"
    assert headers_for(event) == {"Helpdesk-Faq-Entry": str(entry)}


def test_a_type_filter_reads_the_new_subjects_and_the_per_ticket_ones_still_in_a_stream():
    assert subject_filter((ev.TicketClosed,)) == [
        "helpdesk.*.ticket.closed", "helpdesk.*.ticket.*.closed"]
    assert subject_filter() == ["helpdesk.*.ticket.>"]


@pytest.fixture
def store(tmp_path):
    s = ServiceStore("intake", Settings(data_dir=tmp_path), ticket_facts.TABLES)
    yield s
    s.close()


def project(store, events):
    handle = ticket_facts.projector(store)
    for seq, event in enumerate(events, 1):
        store.execute(handle(event, seq).writes)


@pytest.mark.parametrize("build", [
    lambda t: t.classified(),
    lambda t: t.classified().add(ev.InfoRequested, message="KTP?", actor=staff_actor()),
    lambda t: t.classified().add(ev.InfoRequested, message="KTP?", actor=staff_actor())
    .add(ev.ReporterReplied, message="terlampir"),
    lambda t: t.classified().escalated(),
    lambda t: t.classified().escalated().add(ev.ReporterReplied, message="ada kabar?"),
    lambda t: t.classified().escalated().answered(),
    lambda t: t.classified().closed(),
    lambda t: t.classified().closed().add(ev.ReporterReplied, message="masih gagal"),
    lambda t: t.classified().closed().add(ev.TicketReopened, reason="belum selesai",
                                          actor=staff_actor()),
], ids=["open", "waiting", "replied", "escalated", "escalated_reply", "answered",
        "closed", "closed_reply", "reopened"])
def test_the_read_model_folds_status_and_close_as_fold_state_does(store, build):
    ticket = build(Ticket())
    project(store, ticket.events)
    state = ticket.state
    assert ticket_facts.status_of(store, ticket.ticket_id) == (state.status, state.closed_at)


def test_only_other_services_events_are_kept_by_id_and_a_repeat_changes_nothing(store):
    ticket = Ticket().classified().closed()
    project(store, ticket.events)
    project(store, ticket.events)  # a redelivery after a crash
    assert sorted(ticket_facts.event_ids(store, ticket.ticket_id)) == sorted(
        str(e.event_id) for e in ticket.events[1:])
    # A ticket that has only its `received` (intake's own) has no facts: its own history says new.
    fresh = Ticket()
    project(store, fresh.events)
    assert ticket_facts.status_of(store, fresh.ticket_id) is None


def test_an_erased_tickets_dead_letters_are_found_by_the_id_in_their_payload(tmp_path):
    import base64
    import uuid

    from lpse_helpdesk.platform import privacy_wipe
    from lpse_helpdesk.platform.store import Write
    from lpse_helpdesk.schemas import encode_event

    store = ServiceStore("triage", Settings(data_dir=tmp_path), ())
    erased, other = Ticket(), Ticket()
    legacy = uuid.uuid4()
    letters = [("triage", 1, subject_for(erased.received), encode_event(erased.received)),
               ("triage", 2, subject_for(other.received), encode_event(other.received)),
               ("desk-view", 3, f"helpdesk.batam.ticket.{legacy}.received", b"not json"),
               ("notify", 4, "helpdesk.batam.ticket.received", b"not json")]
    store.execute([Write(f"INSERT INTO {store.prefix}_dead_letters (consumer, stream_seq,"
                         " subject, payload, error, attempts, created_at)"
                         " VALUES (?, ?, ?, ?, 'x', 1, 'now')",
                         (c, s, subject, base64.b64encode(body).decode()))
                   for c, s, subject, body in letters])
    store.execute([privacy_wipe.dead_letters(store, erased.ticket_id),
                   privacy_wipe.dead_letters(store, legacy)])
    left = store.query(f"SELECT stream_seq FROM {store.prefix}_dead_letters ORDER BY stream_seq")
    assert [row[0] for row in left] == [2, 4]
    store.close()


def test_the_facts_consumer_takes_every_event_that_moves_the_status_or_mails_the_reporter():
    from lpse_helpdesk.services.notify.decisions import REPORTER_TEMPLATES
    from lpse_helpdesk.workflow.state import STATUS_AFTER

    tags = {t.__struct_config__.tag for t in ticket_facts.WATCHED}
    assert set(STATUS_AFTER) <= tags
    # Every reporter mail but the receipt (intake's own event) answers an event watched here.
    assert {f"ticket.{name}" for name in REPORTER_TEMPLATES - {"received"}} <= tags | {
        "ticket.escalated"}
    assert {"ticket.escalated_to_coordinator", "ticket.escalated_to_lkpp"} <= tags
