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
from functools import partial

import msgspec

from ...platform.auth import Principal, TokenSigner
from ...platform.attachments import AttachmentStore
from ...platform.consumer import Decision
from ...platform.outbox import published_position
from ...platform import revocations
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Stored
from ...schemas import AnyTicketEvent, decode_event, new_envelope
from ...schemas import events as ev
from ...schemas.api import ActionResult, Close, Message, Reason, Survey, TicketView
from ...schemas.events import AttachmentRef
from ...sla.units import due
from ...workflow import history, rules
from ...workflow.guard import Decided, guard_for, guarded
from ...workflow.rules import TicketNotFound
from ...workflow.state import fold_state
from ..intake.application import sha256
from . import accounts, surveys, users, views

REPORTER = ev.Actor(id="pelapor", role="reporter")
log = logging.getLogger("lpse_helpdesk.desk")


class NotYourUnit(PermissionError):
    pass


class DeskService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.now = ctx.now
        self.standards = ctx.standards
        self.signer: TokenSigner = ctx.signer  # type: ignore[assignment]
        self.guard = guard_for(ctx)
        self.attachments = AttachmentStore(ctx.broker) if ctx.broker is not None else None
        self.broker, self.replicas = ctx.broker, ctx.settings.stream_replicas
        users.upgrade(self.store)

    # --- the read models follow every ticket event --------------------------------------------
    def project(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        loaded = history.load(self.store, event.ticket_id)
        known = history.including(loaded.events, event)
        decision = views.project(self.store, event, stream_seq, self.standards, known)
        if isinstance(event, ev.ReporterFeedback) and not event.solved:
            reopen = guarded(self.guard, event.ticket_id, partial(history.event_ids, self.store, event.ticket_id),
                             lambda: self._reopen_on_not_solved(event))
            if reopen is not None:
                decision.events.append(Stored(reopen.event, event.ticket_id, reopen.version + 1))
        return decision

    def bulk_project(self) -> views.BulkProjection:
        """The read-model rows of a whole replay, a chunk at a time (`rebuild desk`,
        `platform/rebuild.py`). Only the projection: the decision `project` may add (the reopen
        on a reporter's "not solved") is never taken here; see `decides`. The desk's own
        decisions the relay has not published yet are folded in, as `history.load` does; the
        published ones are on the stream (reading them all would hold the desk's whole store)."""
        own = [decode_event(n.state)
               for n in self.store.notifications(published_position(self.store), 10**12)]
        return views.BulkProjection(self.store, self.standards, own)

    @staticmethod
    def decides(event: AnyTicketEvent) -> bool:
        """Whether handling `event` may decide (not only project): a reporter's "not solved"."""
        return isinstance(event, ev.ReporterFeedback) and not event.solved

    def _reopen_on_not_solved(self, event: ev.ReporterFeedback) -> Decided | None:
        """A reporter's "not solved" within the unit's window reopens it to whoever closed it."""
        loaded = history.load(self.store, event.ticket_id)
        state = fold_state([e for e in loaded.events if e.event_id != event.event_id])
        standard = self.standards.get(event.tenant)
        if state is None or state.status != "closed" or standard is None:
            return None
        if event.occurred_at > due(standard, state.closed_at, standard.reopen_window):
            return None  # too late: the feedback stays in the timeline, the ticket stays closed
        reopened = ev.TicketReopened(
            **new_envelope(event.ticket_id, event.tenant, self.now()), actor=REPORTER,
            reason=event.message or "pelapor menyatakan masalah belum selesai",
            assignee=state.closed_by.id if state.closed_by else "",
        )
        return Decided(reopened, loaded.version)

    # --- staff actions -----------------------------------------------------------------------
    def act(self, action: str, number: str, body, staff: Principal) -> ActionResult:
        found = views.find_ticket(self.store, number)
        if found is None:
            raise TicketNotFound(number)
        ticket_id, tenant, _ = found
        if not staff.may_act_in(tenant):
            raise rules.forbidden(f"tiket {number} milik unit `{tenant}`, bukan unit Anda")
        actor = ev.Actor(id=staff.username, role=staff.role)
        build = {
            "reply": lambda e: ev.TicketReplied(**e, message=body.message, actor=actor),
            "request-info": lambda e: ev.InfoRequested(**e, message=body.message, actor=actor),
            "notes": lambda e: ev.NoteAdded(**e, message=body.message, actor=actor),
            "close": lambda e: ev.TicketClosed(**e, resolution=body.resolution,
                                               publish_faq=body.publish_faq, actor=actor),
            "reopen": lambda e: ev.TicketReopened(**e, reason=body.reason, actor=actor,
                                                  assignee=staff.username),
        }[action]

        def decide() -> Decided:
            loaded = history.load(self.store, ticket_id)
            rules.check(action, fold_state(loaded.events), staff.role, self.standards[tenant])
            return Decided(build(new_envelope(ticket_id, tenant, self.now())), loaded.version,
                           tuple(loaded.events))

        # A note changes no state, so it needs no guard against other deciders.
        decided = decide() if action == "notes" else guarded(
            self.guard, ticket_id, partial(history.event_ids, self.store, ticket_id), decide)
        event = decided.event
        self.store.record([Stored(event, ticket_id, decided.version + 1)])
        after = decided.state_after()
        return ActionResult(number=number, type=event.tag, event_id=event.event_id,
                            status=after.status, tier=after.tier)

    # --- logins and views --------------------------------------------------------------------
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
        return self._view(found[0], number, include_internal=True, role=staff.role)

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
        if found is None or not hmac.compare_digest(found[2], sha256(token)):
            raise TicketNotFound(number)
        ticket_id, tenant, _ = found
        for _attempt in range(5):
            if surveys.exists(self.store, ticket_id):
                raise rules.conflict(
                    f"survei kepuasan tiket {number} sudah diisi; survei hanya sekali per tiket "
                    "/ the survey of this ticket was already submitted")
            loaded = history.load(self.store, ticket_id)
            state = fold_state(loaded.events)
            if state is None or state.status != "closed":
                raise rules.conflict(
                    f"tiket {number} belum ditutup; survei kepuasan dapat diisi setelah tiket "
                    "selesai / the ticket is not closed yet")
            event = ev.SurveySubmitted(**new_envelope(ticket_id, tenant, self.now()),
                                       scores=body.scores, comment=body.comment)
            try:
                self.store.record([Stored(event, ticket_id, loaded.version + 1)],
                                  writes=[surveys.row(self.store, event)])
            except IntegrityError:
                continue  # another survey (seen above next round) or a staff action won the race
            return event
        raise rules.conflict(f"tiket {number} sedang diubah; coba lagi / please retry")


ACTIONS = {"reply": Message, "request-info": Message, "notes": Message, "close": Close,
           "reopen": Reason}
