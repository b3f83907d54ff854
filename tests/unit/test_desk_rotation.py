"""Round-robin assignment per tier (`services/desk/decisions.py` `next_in_turn`, `round_robin`;
`rotation.py` `rotating_tier`): whose turn it is, when a ticket reaching a rotating tier is
assigned, and which events and standards call for it."""

import msgspec

from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.desk import decisions, rotation
from lpse_helpdesk.standards import load_standards

from .tickets import Ticket, stamp

HELPDESK = ["hd.dua", "hd.satu", "hd.tiga"]


def test_the_turn_goes_round_in_order_and_past_someone_who_left():
    assert decisions.next_in_turn(HELPDESK, "") == "hd.dua"
    assert decisions.next_in_turn(HELPDESK, "hd.dua") == "hd.satu"
    assert decisions.next_in_turn(HELPDESK, "hd.tiga") == "hd.dua"  # wraps round
    # The last one is disabled since: the turn passes to whoever follows them in the order.
    assert decisions.next_in_turn(["hd.dua", "hd.tiga"], "hd.satu") == "hd.tiga"
    assert decisions.next_in_turn([], "hd.dua") is None
    turns, last = [], ""
    for _ in range(4):
        last = decisions.next_in_turn(HELPDESK, last)
        turns.append(last)
    assert turns == ["hd.dua", "hd.satu", "hd.tiga", "hd.dua"]


def decide(ticket, tier="helpdesk", candidates=HELPDESK, last="hd.dua"):
    return decisions.round_robin(ticket.state, ticket.events, tier, candidates, last, stamp())


def test_a_ticket_at_a_rotating_tier_goes_to_the_next_in_turn_by_the_system():
    ticket = Ticket()
    event = decide(ticket)
    assert isinstance(event, ev.TicketAssigned)
    assert (event.assignee, event.previous, event.actor) == ("hd.satu", "", ev.SYSTEM)
    assert (event.ticket_id, event.tenant) == (ticket.ticket_id, "batam")


def test_nothing_when_someone_of_the_tier_works_it_or_it_moved_on_or_closed():
    claimed = Ticket().classified().add(ev.TicketAssigned, assignee="hd.tiga",
                                        actor=ev.Actor(id="hd.tiga", role="helpdesk"))
    assert decide(claimed) is None
    assert decide(Ticket().classified().escalated()) is None  # no longer at helpdesk
    assert decide(Ticket().classified().closed()) is None
    assert decide(Ticket(), candidates=[]) is None  # nobody of the role in the unit


def test_an_escalated_ticket_goes_from_its_helpdesk_assignee_to_the_tiers_turn():
    ticket = Ticket().classified().add(ev.TicketAssigned, assignee="hd.satu",
                                       actor=ev.Actor(id="hd.satu", role="helpdesk")).escalated()
    event = decide(ticket, tier="koordinator", candidates=["koor.a", "koor.b"], last="koor.a")
    assert (event.assignee, event.previous) == ("koor.b", "hd.satu")


def test_only_events_reaching_a_tier_the_standard_rotates_call_for_it():
    units = load_standards()
    batam = units["batam"]
    assert not any(tier.round_robin for unit in units.values() for tier in unit.escalation)
    chain = tuple(msgspec.structs.replace(t, round_robin=t.tier == "koordinator")
                  for t in batam.escalation)
    units = {**units, "batam": msgspec.structs.replace(batam, escalation=chain)}
    ticket = Ticket().classified()
    assert rotation.rotating_tier(ticket.events[0], units) is None  # received: helpdesk
    escalated = Ticket().classified().escalated().events[-1]
    assert rotation.rotating_tier(escalated, units).tier == "koordinator"
    assert rotation.rotating_tier(ticket.events[-1], units) is None  # classified reaches none
    assert rotation.rotating_tier(escalated, load_standards()) is None


def test_the_place_given_in_a_batch_counts_until_the_stored_row_changes():
    turn = rotation.Rotation(store=None, tickets=None)
    key = ("batam", "helpdesk")
    assert turn.last(key, "hd.dua") == "hd.dua"  # nothing given here: the stored row
    turn.pending[key] = ("hd.satu", "hd.dua")  # given here, the batch not committed yet
    assert turn.last(key, "hd.dua") == "hd.satu"
    assert turn.last(key, "hd.satu") == "hd.satu"  # committed
    # A replica moved the rotation on since: its row is the truth, not this process's memory.
    assert turn.last(key, "hd.tiga") == "hd.tiga"
