"""The desk's own ticket events: staff replies, requests, notes, closing and reopening,
assignment, merging and linking, and the reporter's survey. Re-exported by `events.py`, which
lists every event (`ALL_EVENTS`) and who owns it (`OWNERS`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from .envelope import Actor, LongText, ShortText, TicketEvent
from .survey import SkmProfile, SkmScores


class TicketReplied(TicketEvent, frozen=True, kw_only=True, tag="ticket.replied"):
    message: LongText
    actor: Actor


class InfoRequested(TicketEvent, frozen=True, kw_only=True, tag="ticket.info_requested"):
    """The helpdesk needs more from the reporter; the SLA clock pauses until they reply."""

    message: LongText
    actor: Actor


class NoteAdded(TicketEvent, frozen=True, kw_only=True, tag="ticket.note_added"):
    """Internal note between staff: never shown to the reporter."""

    message: LongText
    actor: Actor


class TicketClosed(TicketEvent, frozen=True, kw_only=True, tag="ticket.closed"):
    resolution: LongText
    publish_faq: bool = False
    actor: Actor


class TicketReopened(TicketEvent, frozen=True, kw_only=True, tag="ticket.reopened"):
    reason: LongText
    actor: Actor
    # Who takes it again: whoever closed it (a reporter's "not solved" goes back to them).
    assignee: ShortText = ""


class TicketAssigned(TicketEvent, frozen=True, kw_only=True, tag="ticket.assigned"):
    """Who works the ticket, a staff member of its unit (a claim: `assignee == actor.id`)."""
    assignee: ShortText
    actor: Actor
    previous: ShortText = ""  # the assignee before, "" for nobody


class TicketUnassigned(TicketEvent, frozen=True, kw_only=True, tag="ticket.unassigned"):
    """The ticket goes back to the unit's shared queue."""
    actor: Actor
    previous: ShortText  # who had it


class SurveySubmitted(TicketEvent, frozen=True, kw_only=True, tag="ticket.survey_submitted"):
    """The reporter's satisfaction survey (SKM, PermenPANRB 14/2017) of a closed ticket, once."""

    scores: SkmScores
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    profile: SkmProfile = msgspec.field(default_factory=SkmProfile)  # optional answers


class TicketMerged(TicketClosed, frozen=True, kw_only=True, tag="ticket.merged"):
    """The ticket is a duplicate of `into` (a ticket of the same unit) and closes with it: a
    kind of close, so every fold, clock and guard that knows a close knows this one."""
    into: ShortText  # the surviving ticket's number


class MergeReceived(TicketEvent, frozen=True, kw_only=True, tag="ticket.merge_received"):
    """On the surviving ticket: `duplicate` was merged into it (its own history shows it)."""
    duplicate: ShortText  # the merged ticket's number
    actor: Actor


class TicketLinked(TicketEvent, frozen=True, kw_only=True, tag="ticket.linked"):
    """A related ticket of the same unit (`to`), recorded on both tickets."""
    to: ShortText  # the other ticket's number
    actor: Actor
