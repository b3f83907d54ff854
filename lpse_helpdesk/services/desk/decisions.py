"""The desk's decisions on a ticket, as pure functions: from the ticket's folded state, the
command, the unit's standard and a `Stamp` (the new event's id and time) to the event, or a
domain refusal. Loading, the guard and storing are `workflow.decide`'s (application.py)."""

from __future__ import annotations

from ... import refusals
from ...platform.auth import STAFF_ROLES
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...sla.units import due
from ...workflow import rules
from ...workflow.rules import TicketNotFound
from ...workflow.stamp import Stamp
from ...workflow.state import TicketState

REPORTER = ev.Actor(id="pelapor", role="reporter")
# The desk's staff actions; escalate, answer (escalation) and classify (triage) are not its own.
ACTIONS = ("reply", "request-info", "notes", "close", "reopen")


def staff_action(action: str, number: str, state: TicketState | None, body, username: str,
                 role: str, standard, stamp: Stamp) -> AnyTicketEvent:
    """A staff member's reply, request for information, note, close or reopen: checked against
    the state and the role (`workflow.rules.check`); `body` is the action's API command."""
    if action not in ACTIONS:
        raise refusals.NotFound(f"aksi `{action}` tidak dikenal")
    if state is None:
        raise TicketNotFound(number)
    rules.check(action, state, role, standard)
    envelope = stamp.envelope(state.received.ticket_id, state.tenant)
    actor = ev.Actor(id=username, role=role)
    if action == "reply":
        return ev.TicketReplied(**envelope, message=body.message, actor=actor)
    if action == "request-info":
        return ev.InfoRequested(**envelope, message=body.message, actor=actor)
    if action == "notes":
        return ev.NoteAdded(**envelope, message=body.message, actor=actor)
    if action == "close":
        return ev.TicketClosed(**envelope, resolution=body.resolution,
                               publish_faq=body.publish_faq, actor=actor)
    return ev.TicketReopened(**envelope, reason=body.reason, actor=actor, assignee=username)


def assignee_of(events: list[AnyTicketEvent]) -> str:
    """Who works the ticket now ("" for nobody): the last assignment, or whom a reopen gave it
    to (whoever reopened it, or whoever closed it on the reporter's "not solved")."""
    assignee = ""
    for event in events:
        if isinstance(event, ev.TicketAssigned):
            assignee = event.assignee
        elif isinstance(event, ev.TicketUnassigned):
            assignee = ""
        elif isinstance(event, ev.TicketReopened) and event.assignee:
            assignee = event.assignee
    return assignee


def assignment(action: str, number: str, state: TicketState | None,
               events: list[AnyTicketEvent], assignee: str, assignee_active: bool,
               username: str, role: str, stamp: Stamp) -> AnyTicketEvent:
    """`assign` to `assignee`, `claim` (assign to oneself) or `unassign`, by any staff member
    of the ticket's unit (the caller checks the unit). `assignee_active`: whether the one who
    would get the ticket (`username` for a claim) is an active staff user of the ticket's unit,
    which only the users table knows."""
    if state is None:
        raise TicketNotFound(number)
    if role not in STAFF_ROLES:
        raise refusals.Forbidden(f"peran `{role}` tidak boleh menugaskan tiket")
    current = assignee_of(events)
    envelope = stamp.envelope(state.received.ticket_id, state.tenant)
    actor = ev.Actor(id=username, role=role)
    if action == "unassign":
        if not current:
            raise refusals.Conflict(f"tiket {number} belum ditugaskan kepada siapa pun / the "
                                    "ticket has no assignee")
        return ev.TicketUnassigned(**envelope, actor=actor, previous=current)
    if action not in ("assign", "claim"):
        raise refusals.NotFound(f"aksi `{action}` tidak dikenal")
    if state.status == "closed":
        raise refusals.Conflict(f"tiket {number} sudah ditutup; buka kembali (reopen) dulu")
    target = username if action == "claim" else assignee
    if not assignee_active:
        raise refusals.Invalid(f"`{target}` bukan staf aktif unit `{state.tenant}` / not an "
                               "active staff user of the ticket's unit", field="assignee")
    if target == current:
        raise refusals.Conflict(f"tiket {number} sudah ditugaskan kepada `{target}` / already "
                                "assigned to them")
    return ev.TicketAssigned(**envelope, assignee=target, actor=actor, previous=current)


SYSTEM = ev.SYSTEM  # the rotation assigns, no staff member


def next_in_turn(candidates: list[str], last: str) -> str | None:
    """Whose turn it is: the first of the ordered `candidates` after `last`, wrapping round.
    `last` gone from the list (disabled since) still marks the place: the turn passes to whoever
    follows it in the order, so a departure skips nobody. None without candidates."""
    if not candidates:
        return None
    return next((name for name in candidates if name > last), candidates[0])


def round_robin(state: TicketState | None, events: list[AnyTicketEvent], tier: str,
                candidates: list[str], last: str, stamp: Stamp) -> ev.TicketAssigned | None:
    """A ticket that reached `tier` (whose standard rotates it) goes to the next of `candidates`
    (the active staff of that tier's role in the unit, ordered) after `last`, the one the unit's
    rotation gave a ticket at that tier before. None when it is closed, not at `tier` (moved on
    since), or already assigned to one of the candidates (someone of this tier works it)."""
    if state is None or state.status == "closed" or state.tier != tier:
        return None
    current = assignee_of(events)
    if current in candidates:
        return None
    target = next_in_turn(candidates, last)
    if target is None:
        return None
    return ev.TicketAssigned(**stamp.envelope(state.received.ticket_id, state.tenant),
                             assignee=target, actor=SYSTEM, previous=current)


# Staff bookkeeping that answers nobody: it leaves a reporter's new reply unanswered.
BOOKKEEPING = (ev.TicketAssigned, ev.TicketUnassigned, ev.TicketLinked, ev.MergeReceived)


def new_reply(events: list[AnyTicketEvent]) -> bool:
    """Whether the reporter wrote after the last staff action (the queue's "balasan baru")."""
    waiting = False
    for event in events:
        if isinstance(event, ev.ReporterReplied):
            waiting = True
        elif (getattr(event, "actor", None) is not None and not isinstance(event, BOOKKEEPING)
              and event.actor.role not in ("reporter", "system")):
            waiting = False
    return waiting


def reopens(event: AnyTicketEvent) -> bool:
    """Whether an event may make the desk decide (not only project): a reporter's "not solved"."""
    return isinstance(event, ev.ReporterFeedback) and not event.solved


def reopen_on_not_solved(state: TicketState | None, feedback: ev.ReporterFeedback, standard,
                         stamp: Stamp, merged: bool = False) -> ev.TicketReopened | None:
    """A reporter's "not solved" within the unit's reopen window reopens a closed ticket to
    whoever closed it. Too late, not closed, or `merged` (its work goes on in the ticket it was
    merged into): None; the feedback stays in the timeline. A feedback older than the ticket's
    last closing judged an earlier one (the stream replayed, `stream refill`): the ticket was
    reopened for it then and closed again since, so None."""
    if (not reopens(feedback) or state is None or state.status != "closed" or standard is None
            or merged or (state.closed_at and feedback.occurred_at < state.closed_at)):
        return None
    if feedback.occurred_at > due(standard, state.closed_at, standard.reopen_window):
        return None
    return ev.TicketReopened(
        **stamp.envelope(feedback.ticket_id, feedback.tenant), actor=REPORTER,
        reason=feedback.message or "pelapor menyatakan masalah belum selesai",
        assignee=state.closed_by.id if state.closed_by else "",
    )


def survey(number: str, state: TicketState | None, already_submitted: bool, body,
           stamp: Stamp) -> ev.SurveySubmitted:
    """The reporter's satisfaction survey (SKM): once per ticket, and only once it is closed."""
    if already_submitted:
        raise refusals.Conflict(
            f"survei kepuasan tiket {number} sudah diisi; survei hanya sekali per tiket "
            "/ the survey of this ticket was already submitted")
    if state is None or state.status != "closed":
        raise refusals.Conflict(
            f"tiket {number} belum ditutup; survei kepuasan dapat diisi setelah tiket "
            "selesai / the ticket is not closed yet")
    return ev.SurveySubmitted(**stamp.envelope(state.received.ticket_id, state.tenant),
                              scores=body.scores, comment=body.comment,
                              profile=body.profile)


def merged_into(events: list[AnyTicketEvent]) -> str:
    """The number of the ticket this one was merged into ("" if it was not)."""
    return next((e.into for e in reversed(events) if isinstance(e, ev.TicketMerged)), "")


def links_of(events: list[AnyTicketEvent]) -> list[str]:
    """The numbers of the tickets linked to this one, in the order they were linked."""
    return list(dict.fromkeys(e.to for e in events if isinstance(e, ev.TicketLinked)))


def _pair(number: str, state: TicketState | None, other: str, other_state: TicketState | None,
          role: str, verb: str) -> None:
    """What merging and linking both ask: both tickets exist, are two, and of one unit."""
    if state is None:
        raise TicketNotFound(number)
    if other_state is None:
        raise TicketNotFound(other)
    if role not in STAFF_ROLES:
        raise refusals.Forbidden(f"peran `{role}` tidak boleh {verb} tiket")
    if other == number:
        raise refusals.Conflict(f"tiket {number} tidak dapat {verb} dengan dirinya sendiri / "
                                "not with itself")
    if other_state.tenant != state.tenant:
        raise refusals.Forbidden(f"tiket {other} milik unit lain; {verb} hanya dalam satu unit "
                                 "/ only tickets of one unit")


def merge(number: str, state: TicketState | None, into: str, into_state: TicketState | None,
          username: str, role: str, stamp: Stamp) -> ev.TicketMerged:
    """Close the duplicate `number` as merged into `into`: both open, of one unit, not the same
    ticket. The surviving ticket records its side with `merge_received`."""
    _pair(number, state, into, into_state, role, "digabung")
    if state.status == "closed":
        raise refusals.Conflict(f"tiket {number} sudah ditutup; tidak dapat digabung / the "
                                "ticket is closed")
    if into_state.status == "closed":
        raise refusals.Conflict(f"tiket {into} sudah ditutup atau digabung; pilih tiket yang "
                                "masih terbuka / the target ticket is closed")
    return ev.TicketMerged(**stamp.envelope(state.received.ticket_id, state.tenant),
                           resolution=f"Digabung ke tiket {into}", into=into,
                           actor=ev.Actor(id=username, role=role))


def merge_received(into: str, state: TicketState | None, duplicate: str, username: str,
                   role: str, stamp: Stamp) -> ev.MergeReceived:
    """The surviving ticket's side of a merge, decided on its own (fresh) state: it may have
    closed since the duplicate's side was decided."""
    if state is None:
        raise TicketNotFound(into)
    if state.status == "closed":
        raise refusals.Conflict(f"tiket {into} sudah ditutup atau digabung; pilih tiket yang "
                                "masih terbuka / the target ticket is closed")
    return ev.MergeReceived(**stamp.envelope(state.received.ticket_id, state.tenant),
                            duplicate=duplicate, actor=ev.Actor(id=username, role=role))


def link(number: str, state: TicketState | None, events: list[AnyTicketEvent], to: str,
         to_state: TicketState | None, username: str, role: str, stamp: Stamp) -> ev.TicketLinked:
    """Link `number` to the related ticket `to` (open or closed, of the same unit); each side
    is decided with this function, the other ticket's number as `to`."""
    _pair(number, state, to, to_state, role, "ditautkan")
    if to in links_of(events):
        raise refusals.Conflict(f"tiket {number} sudah ditautkan ke {to} / already linked")
    return ev.TicketLinked(**stamp.envelope(state.received.ticket_id, state.tenant), to=to,
                           actor=ev.Actor(id=username, role=role))
