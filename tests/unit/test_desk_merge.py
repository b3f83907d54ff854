"""Merging a duplicate and linking related tickets (`services/desk/decisions.py`: `merge`,
`merge_received`, `link`, `merged_into`, `links_of`), and how a merge folds and is mailed."""

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.desk import decisions
from lpse_helpdesk.services.notify.decisions import plan
from lpse_helpdesk.sla.tickets import fold_clocks
from lpse_helpdesk.workflow.rules import TicketNotFound
from lpse_helpdesk.workflow.state import fold_state

from .tickets import Ticket, stamp

DUP, MAIN = "BTM-2026-000001", "BTM-2026-000002"
STAFF = ev.Actor(id="helpdesk.satu", role="helpdesk")


def merge(dup, main, into=MAIN, role="helpdesk"):
    return decisions.merge(DUP, dup.state, into, main.state if main else None, "helpdesk.satu",
                           role, stamp())


def merged(dup):
    return dup.add(ev.TicketMerged, resolution=f"Digabung ke tiket {MAIN}", into=MAIN,
                   actor=STAFF)


def test_a_merge_closes_the_duplicate_naming_the_survivor_and_who_merged():
    dup, main = Ticket().classified(), Ticket().classified()
    event = merge(dup, main)
    assert isinstance(event, ev.TicketMerged) and isinstance(event, ev.TicketClosed)
    assert (event.into, event.ticket_id, event.tenant) == (MAIN, dup.ticket_id, "batam")
    assert event.actor == STAFF and not event.publish_faq
    dup.events.append(event)
    assert (dup.state.status, dup.state.closed_by) == ("closed", STAFF)
    assert decisions.merged_into(dup.events) == MAIN


def test_the_survivor_records_its_side_naming_the_duplicate():
    main = Ticket().classified()
    event = decisions.merge_received(MAIN, main.state, DUP, "helpdesk.satu", "helpdesk", stamp())
    assert isinstance(event, ev.MergeReceived)
    assert (event.duplicate, event.ticket_id, event.actor) == (DUP, main.ticket_id, STAFF)
    main.events.append(event)
    assert main.state.status == "open"  # the survivor stays as it was


def test_merging_into_itself_is_a_conflict():
    dup = Ticket().classified()
    with pytest.raises(refusals.Conflict, match="dirinya sendiri"):
        merge(dup, dup, into=DUP)


@pytest.mark.parametrize("target", ["closed", "merged"])
def test_merging_into_a_closed_or_merged_ticket_is_a_conflict(target):
    main = Ticket().classified()
    main = main.closed() if target == "closed" else merged(main)
    with pytest.raises(refusals.Conflict, match=f"tiket {MAIN} sudah ditutup atau digabung"):
        merge(Ticket().classified(), main)
    with pytest.raises(refusals.Conflict, match=f"tiket {MAIN} sudah ditutup"):
        decisions.merge_received(MAIN, main.state, DUP, "helpdesk.satu", "helpdesk", stamp())


def test_a_closed_or_already_merged_duplicate_is_a_conflict():
    for dup in (Ticket().classified().closed(), merged(Ticket().classified())):
        with pytest.raises(refusals.Conflict, match=f"tiket {DUP} sudah ditutup"):
            merge(dup, Ticket().classified())


def test_merging_across_units_is_forbidden():
    with pytest.raises(refusals.Forbidden, match="hanya dalam satu unit"):
        merge(Ticket().classified(), Ticket(tenant="tuban").classified())


def test_an_unknown_ticket_or_a_reporter_is_refused():
    with pytest.raises(TicketNotFound):
        merge(Ticket().classified(), None)
    with pytest.raises(refusals.Forbidden, match="peran `reporter`"):
        merge(Ticket().classified(), Ticket().classified(), role="reporter")


def test_a_merged_ticket_stops_its_clocks_as_a_close_does():
    dup = Ticket().classified()
    assert any(clock.due_at for clock in fold_clocks(dup.events, dup.standard))
    merged(dup)
    assert not any(clock.due_at for clock in fold_clocks(dup.events, dup.standard))


def test_the_duplicates_reporter_is_mailed_the_merge_not_a_close():
    dup = merged(Ticket().classified())
    mails = plan(dup.events[-1], fold_state(dup.events), dup.standard, "https://s/status", "")
    assert [(m.template, m.recipient, m.context["into"]) for m in mails] == [
        ("merged", "budi@contoh.co.id", MAIN)]


def test_linking_names_the_other_ticket_and_is_refused_twice_or_to_itself():
    one, two = Ticket().classified(), Ticket().closed()  # a closed ticket may be linked
    event = decisions.link(DUP, one.state, one.events, MAIN, two.state, "helpdesk.satu",
                           "helpdesk", stamp())
    assert isinstance(event, ev.TicketLinked)
    assert (event.to, event.ticket_id, event.actor) == (MAIN, one.ticket_id, STAFF)
    one.events.append(event)
    assert decisions.links_of(one.events) == [MAIN]
    with pytest.raises(refusals.Conflict, match="sudah ditautkan"):
        decisions.link(DUP, one.state, one.events, MAIN, two.state, "helpdesk.satu",
                       "helpdesk", stamp())
    with pytest.raises(refusals.Conflict, match="dirinya sendiri"):
        decisions.link(DUP, one.state, one.events, DUP, one.state, "helpdesk.satu",
                       "helpdesk", stamp())
    with pytest.raises(refusals.Forbidden, match="hanya dalam satu unit"):
        decisions.link(DUP, one.state, one.events, MAIN, Ticket(tenant="tuban").state,
                       "helpdesk.satu", "helpdesk", stamp())


def test_the_reporters_not_solved_reopens_no_merged_ticket():
    dup = merged(Ticket().classified())
    said = dup.add(ev.ReporterFeedback, solved=False, message="masih gagal").events[-1]
    assert decisions.reopen_on_not_solved(dup.state, said, dup.standard, stamp(said.occurred_at),
                                          merged=bool(decisions.merged_into(dup.events))) is None
    closed = Ticket().classified().closed()  # a plain close in the same window reopens
    said = closed.add(ev.ReporterFeedback, solved=False, message="masih gagal").events[-1]
    assert decisions.reopen_on_not_solved(closed.state, said, closed.standard,
                                          stamp(said.occurred_at)) is not None
