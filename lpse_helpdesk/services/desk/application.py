"""Desk: the helpdesk's own decisions (reply, close, ...; issue 4), staff accounts and logins,
and the ticket read model."""

from __future__ import annotations

import hmac

from ...platform.auth import Principal, TokenSigner
from ...platform.consumer import Decision
from ...platform.service import ServiceContext
from ...schemas import AnyTicketEvent
from ...schemas.api import TicketView
from ..intake.application import sha256
from . import users, views


class TicketNotFound(LookupError):
    pass


class NotYourUnit(PermissionError):
    pass


class DeskService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards
        self.signer: TokenSigner = ctx.signer  # type: ignore[assignment]

    def project(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        return views.project(self.store, event, stream_seq)

    def login(self, username: str, password: str) -> str:
        tenant, role = users.authenticate(self.store, username, password)
        return self.signer.issue(username, role, tenant)

    def ticket_for_reporter(self, number: str, token: str) -> TicketView:
        """The ticket as its reporter may see it; the same answer for a wrong token and an
        unknown number, so numbers cannot be probed."""
        found = views.find_ticket(self.store, number)
        if found is None or not hmac.compare_digest(found[2], sha256(token)):
            raise TicketNotFound(number)
        return self._view(found[0], number, include_internal=False)

    def ticket_for_staff(self, number: str, staff: Principal) -> TicketView:
        """The whole ticket, internal notes included, for staff of its unit."""
        found = views.find_ticket(self.store, number)
        if found is None:
            raise TicketNotFound(number)
        if not staff.may_act_in(found[1]):
            raise NotYourUnit(number)
        return self._view(found[0], number, include_internal=True)

    def _view(self, ticket_id, number: str, include_internal: bool) -> TicketView:
        events = views.timeline(self.store, ticket_id)
        standard = self.standards.get(events[0].tenant) if events else None
        view = views.fold(events, include_internal, standard)
        if view is None:
            raise TicketNotFound(number)
        return view
