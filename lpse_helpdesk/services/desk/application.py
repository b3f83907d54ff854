"""Desk: the helpdesk's own decisions (reply, close, ...; issue 4) and the ticket read model."""

from __future__ import annotations

import hmac

from ...platform.consumer import Decision
from ...platform.service import ServiceContext
from ...schemas import AnyTicketEvent
from ...schemas.api import TicketView
from ..intake.application import sha256
from . import views


class TicketNotFound(LookupError):
    pass


class DeskService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store

    def project(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        return views.project(self.store, event, stream_seq)

    def ticket_for_reporter(self, number: str, token: str) -> TicketView:
        """The ticket as its reporter may see it; the same answer for a wrong token and an
        unknown number, so numbers cannot be probed."""
        found = views.find_ticket(self.store, number)
        if found is None or not hmac.compare_digest(found[2], sha256(token)):
            raise TicketNotFound(number)
        view = views.fold(views.timeline(self.store, found[0]))
        if view is None:
            raise TicketNotFound(number)
        return view
