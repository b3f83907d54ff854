"""The queue's "balasan baru" (`services/desk/decisions.py`: `new_reply`): the reporter wrote
after the last staff action; bookkeeping (assignment, links) answers nobody."""

from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.desk import decisions

from .tickets import Ticket, staff_actor


def replied(ticket):
    return ticket.add(ev.ReporterReplied, message="Sudah saya coba, masih gagal.")


def test_a_reporters_reply_after_the_staffs_answer_is_new_until_staff_act_again():
    ticket = Ticket().classified()
    assert not decisions.new_reply(ticket.events)  # a new ticket is not a reply
    replied(ticket.add(ev.InfoRequested, message="Mohon tangkapan layar.", actor=staff_actor()))
    assert decisions.new_reply(ticket.events)
    ticket.add(ev.NoteAdded, message="cek log", actor=staff_actor())
    assert not decisions.new_reply(ticket.events)


def test_bookkeeping_and_the_system_leave_the_reply_new():
    ticket = replied(Ticket().classified())
    ticket.add(ev.TicketAssigned, assignee="helpdesk.dua", actor=staff_actor())
    ticket.add(ev.TicketLinked, to="BTM-2026-000009", actor=staff_actor())
    ticket.add(ev.SlaBreached, target="first_response", due_at=ticket.last_at)
    assert decisions.new_reply(ticket.events)
    ticket.add(ev.TicketReplied, message="Silakan coba lagi.", actor=staff_actor())
    assert not decisions.new_reply(ticket.events)
