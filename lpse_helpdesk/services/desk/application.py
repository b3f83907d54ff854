"""Desk: the helpdesk's own decisions (reply, request information, note, close, reopen), staff
accounts and logins, and the ticket read models.

Every decision is checked against the ticket's state and the actor's role and unit
(`workflow.rules`), then stored at the next version of the desk's own sequence for the ticket:
two staff members racing on one ticket cannot both win (the loser gets a version conflict).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time

import msgspec

from ... import refusals
from ...platform.auth import ALL_UNITS, Principal, TokenSigner
from ...platform.attachments import AttachmentStore
from ...platform.consumer import Decision
from ...platform.outbox import published_position
from ...platform import revocations
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError
from ...schemas import AnyTicketEvent, decode_event
from ...schemas import events as ev
from ...schemas.api import ActionResult, Close, Message, Reason, Survey, TicketView
from ...schemas.events import AttachmentRef
from ...workflow import history, rules
from ...workflow.decide import TicketDecisions, action_result, stored
from ...workflow.guard import guard_for
from ...workflow.rules import TicketNotFound
from ...workflow.state import fold_state
from ..intake.application import sha256
from . import accounts, bulk, decisions, privacy_scrub, rotation, surveys, users, views

log = logging.getLogger("lpse_helpdesk.desk")


class NotYourUnit(refusals.Forbidden, PermissionError):
    """A ticket of another unit than the staff member's."""

    def __init__(self, number: str):
        super().__init__(f"Tiket {number} milik unit lain / belongs to another unit")


class DeskService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.now = ctx.now
        self.standards = ctx.standards
        self.signer: TokenSigner = ctx.signer  # type: ignore[assignment]
        self.tickets = TicketDecisions(self.store, guard_for(ctx), ctx.now)
        self.rotation = rotation.Rotation(self.store, self.tickets)
        self.attachments = AttachmentStore(ctx.broker) if ctx.broker is not None else None
        self.broker, self.replicas = ctx.broker, ctx.settings.stream_replicas
        self.settings = ctx.settings  # the mail route of "Tiket saya" (reporter_links.py)
        users.upgrade(self.store)
        views.upgrade(self.store)

    # --- the read models follow every ticket event --------------------------------------------
    def project(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        loaded = history.load(self.store, event.ticket_id)
        known = history.including(loaded.events, event)
        decision = views.project(self.store, event, stream_seq, self.standards, known)
        decision.writes += privacy_scrub.scrub(self.store, event, known)
        if decisions.reopens(event):
            standard = self.standards.get(event.tenant)
            reopen = self.tickets.decide(
                event.ticket_id,
                lambda state, events, stamp: decisions.reopen_on_not_solved(
                    state, event, standard, stamp, merged=bool(decisions.merged_into(events))))
            if reopen is not None:
                decision.events.append(stored(reopen))
        tier = rotation.rotating_tier(event, self.standards)
        assigned = self.rotation.assign(event, tier) if tier is not None else None
        if assigned is not None:
            decision.events.append(stored(assigned[0]))
            decision.writes.append(assigned[1])
        return decision

    def bulk_project(self) -> bulk.BulkProjection:
        """The read-model rows of a whole replay, a chunk at a time (`rebuild desk`,
        `platform/rebuild.py`). Only the projection: the decisions `project` may add (the reopen
        on a reporter's "not solved", a round-robin assignment) are never taken here; see
        `decides`. The desk's own
        decisions the relay has not published yet are folded in, as `history.load` does; the
        published ones are on the stream (reading them all would hold the desk's whole store)."""
        own = [decode_event(n.state)
               for n in self.store.notifications(published_position(self.store), 10**12)]
        return bulk.BulkProjection(self.store, self.standards, own)

    def decides(self, event: AnyTicketEvent) -> bool:
        """Whether handling `event` may decide (not only project): a reporter's "not solved",
        or a ticket reaching a tier its unit's standard rotates (`rotation.py`)."""
        return decisions.reopens(event) or rotation.rotating_tier(event, self.standards) is not None

    # --- staff actions -----------------------------------------------------------------------
    def act(self, action: str, number: str, body, staff: Principal) -> ActionResult:
        found = views.find_ticket(self.store, number)
        if found is None:
            raise TicketNotFound(number)
        ticket_id, tenant = found.ticket_id, found.tenant
        rules.check_unit(staff.may_act_in(tenant), number, tenant)
        standard = self.standards[tenant]
        decided = self.tickets.act(
            ticket_id,
            lambda state, _events, stamp: decisions.staff_action(
                action, number, state, body, staff.username, staff.role, standard, stamp),
            guard=action != "notes")  # a note changes no state: it races no other decider
        return action_result(number, decided)

    def assign(self, action: str, number: str, assignee: str, staff: Principal) -> ActionResult:
        """`assign` to `assignee`, `claim` or `unassign` (`decisions.assignment`). No guard:
        it changes no workflow state; two staff racing on it meet at the desk's own version."""
        found = views.find_ticket(self.store, number)
        if found is None:
            raise TicketNotFound(number)
        ticket_id, tenant = found.ticket_id, found.tenant
        rules.check_unit(staff.may_act_in(tenant), number, tenant)
        target = staff.username if action == "claim" else assignee
        active = active_staff(self.store, target, tenant)
        decided = self.tickets.act(
            ticket_id,
            lambda state, events, stamp: decisions.assignment(
                action, number, state, events, assignee, active, staff.username, staff.role,
                stamp),
            guard=False)
        return action_result(number, decided)

    # --- merging and linking (`decisions.merge`, `merge_received`, `link`) -------------------
    def merge(self, number: str, into: str, staff: Principal) -> ActionResult:
        """Close `number` as merged into `into`. Each ticket records its own event (its own
        timeline shows it, a rebuild reads it from that ticket's history alone), both in one
        transaction: a decision racing on either ticket makes the whole merge a conflict."""
        duplicate_id, into_id = self._own(number, staff), self._own(into, staff)
        into_state = fold_state(history.load(self.store, into_id).events)
        duplicate = self.tickets.decide(  # guarded: it closes the ticket
            duplicate_id, lambda state, _events, stamp: decisions.merge(
                number, state, into, into_state, staff.username, staff.role, stamp))
        received = self.tickets.decide(  # changes no workflow state of the survivor
            into_id, lambda state, _events, stamp: decisions.merge_received(
                into, state, number, staff.username, staff.role, stamp), guard=False)
        self.store.record([stored(duplicate), stored(received)])
        return action_result(number, duplicate)

    def link(self, number: str, to: str, staff: Principal) -> ActionResult:
        """Link two related tickets of one unit: a `ticket.linked` on each, in one transaction."""
        ticket_id, other_id = self._own(number, staff), self._own(to, staff)
        loaded = {i: history.load(self.store, i).events for i in (ticket_id, other_id)}
        states = {i: fold_state(events) for i, events in loaded.items()}
        sides = [self.tickets.decide(
            mine, lambda state, events, stamp, theirs=theirs, a=a, b=b: decisions.link(
                a, state, events, b, states[theirs], staff.username, staff.role, stamp),
            guard=False)  # a link changes no workflow state
            for mine, theirs, a, b in ((ticket_id, other_id, number, to),
                                       (other_id, ticket_id, to, number))]
        self.store.record([stored(side) for side in sides])
        return action_result(number, sides[0])

    def _own(self, number: str, staff: Principal):
        """The id of a ticket of the staff member's unit (404 unknown, 403 another unit)."""
        found = views.find_ticket(self.store, number)
        if found is None:
            raise TicketNotFound(number)
        rules.check_unit(staff.may_act_in(found.tenant), number, found.tenant)
        return found.ticket_id

    # --- logins and views --------------------------------------------------------------------
    def login(self, username: str, password: str) -> str:
        tenant, role = users.authenticate(self.store, username, password)
        return self.signer.issue(username, role, tenant)

    def ticket_for_reporter(self, number: str, token: str) -> TicketView:
        """The ticket as its reporter may see it; the same answer for a wrong token and an
        unknown number, so numbers cannot be probed."""
        found = views.find_ticket(self.store, number)
        if found is None or not hmac.compare_digest(found.token_sha256, sha256(token)):
            raise TicketNotFound(number)
        return self._view(found.ticket_id, number, include_internal=False)

    def ticket_for_staff(self, number: str, staff: Principal) -> TicketView:
        """The whole ticket, internal notes included, for staff of its unit."""
        found = views.find_ticket(self.store, number)
        if found is None:
            raise TicketNotFound(number)
        if not staff.may_act_in(found.tenant):
            raise NotYourUnit(number)
        return self._view(found.ticket_id, number, include_internal=True, role=staff.role)

    def attachment(self, number: str, attachment_id: str, token: str | None,
                   staff: Principal | None):
        """The reference of an attachment of this ticket, if the caller may see the ticket."""
        view = (self.ticket_for_staff(number, staff) if staff is not None
                else self.ticket_for_reporter(number, token or ""))
        for entry in view.timeline:
            for ref in entry.event.get("attachments", []):
                if ref["id"] == attachment_id:
                    return msgspec.convert(ref, AttachmentRef)
        raise TicketNotFound(number)

    def _view(self, ticket_id, number: str, include_internal: bool,
              role: str | None = None) -> TicketView:
        events = history.load(self.store, ticket_id).events
        standard = self.standards.get(events[0].tenant) if events else None
        view = views.fold(events, include_internal, standard, role)
        if view is None:
            raise TicketNotFound(number)
        if role is None:  # a reporter: display names, never usernames
            accounts.hide_usernames(self.store, view.timeline)
        return view

    # --- revoked tokens (accounts.py, platform/revocations.py) -------------------------------
    async def revoke(self, username: str, since: float) -> None:
        """Void `username`'s older tokens here at once and, through NATS, in every process.
        If NATS does not take it now, `relay_revocations` sends it when NATS is back."""
        if self.signer is not None:
            self.signer.revocations.revoke(username, since)
        connection = getattr(self.broker, "_connection", None)  # None until connected
        if connection is None or not connection.is_connected:
            return
        try:
            await asyncio.wait_for(revocations.publish(
                connection.jetstream(), username, since, self.replicas), 3.0)
        except Exception as exc:  # noqa: BLE001 - the relay retries
            log.warning("pencabutan token %s belum terkirim ke NATS: %r", username, exc)
            return
        await asyncio.to_thread(accounts.mark_published, self.store, username, since)

    async def relay_revocations(self, stop: asyncio.Event) -> None:
        """Every 2 s: the revocations the store holds that NATS has not taken yet."""
        while not stop.is_set():
            try:
                for username, since in await asyncio.to_thread(accounts.unpublished, self.store):
                    await self.revoke(username, since)
            except Exception as exc:  # noqa: BLE001 - a store or NATS hiccup: next round
                log.warning("relai pencabutan token gagal: %r", exc)
            try:
                await asyncio.wait_for(stop.wait(), 2.0)
            except TimeoutError:
                pass

    @staticmethod
    def clock() -> float:
        """Now, for revocations: unix seconds to the millisecond, as tokens carry it."""
        return round(time.time(), 3)

    # --- the reporter's satisfaction survey (SKM) --------------------------------------------
    def submit_survey(self, number: str, token: str, body: Survey) -> ev.SurveySubmitted:
        """The reporter's SKM of a closed ticket, once per ticket: the survey's row (primary key
        ticket_id) is stored in the event's transaction, so a second survey cannot slip in."""
        found = views.find_ticket(self.store, number)
        if found is None or not hmac.compare_digest(found.token_sha256, sha256(token)):
            raise TicketNotFound(number)
        ticket_id = found.ticket_id
        for _attempt in range(5):
            already = surveys.exists(self.store, ticket_id)
            decided = self.tickets.decide(
                ticket_id,
                lambda state, _events, stamp: decisions.survey(number, state, already, body, stamp),
                guard=False)  # the survey changes no workflow state; its row makes it once
            try:
                return self.tickets.record(decided, writes=surveys.rows(self.store, decided.event))
            except IntegrityError:
                continue  # another survey (seen above next round) or a staff action won the race
        raise rules.conflict(f"tiket {number} sedang diubah; coba lagi / please retry")


def active_staff(store, username: str, tenant: str) -> bool:
    """Whether `username` is a staff user of `tenant` (or of every unit) not disabled."""
    rows = store.query(f"SELECT tenant, disabled FROM {store.prefix}_users WHERE username = ?",
                       (username,))
    return bool(rows) and rows[0][0] in (tenant, ALL_UNITS) and not rows[0][1]


ACTIONS = {"reply": Message, "request-info": Message, "notes": Message, "close": Close,
           "reopen": Reason}
