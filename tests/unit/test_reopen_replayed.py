"""A reporter's "not solved" handled again after `stream refill` (issue 21) reopens nothing: it
judged a closing that was answered then, and the ticket has been closed again since."""

from __future__ import annotations

from datetime import timedelta

from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.desk import decisions

from .test_desk_decisions import BATAM, feedback
from .tickets import Ticket, stamp


def test_a_not_solved_older_than_the_last_closing_reopens_nothing():
    ticket = Ticket().classified().closed()
    said = feedback(ticket)  # two hours after the first closing
    reopened = decisions.reopen_on_not_solved(ticket.state, said, BATAM, stamp(said.occurred_at))
    assert isinstance(reopened, ev.TicketReopened)  # live: it answers the closing before it
    ticket.events.append(reopened)
    ticket.closed()  # staff close it again, after the feedback
    assert ticket.state.closed_at > said.occurred_at
    # The same feedback, handled again (a refilled stream): nothing to decide.
    assert decisions.reopen_on_not_solved(ticket.state, said, BATAM, stamp()) is None
    # A new "not solved" about the new closing still reopens.
    again = feedback(ticket, after=timedelta(minutes=5))
    assert decisions.reopen_on_not_solved(ticket.state, again, BATAM, stamp()) is not None
