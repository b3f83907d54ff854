"""Payloads of the public HTTP API (docs/design.md, "The public contract"), validated with msgspec."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from .events import (
    LINES, ONE_LINE, Category, Channel, DocumentKind, LongText, Reporter, ShortText, Tenant, Tier,
)
from .survey import SkmProfile, SkmScores

NonEmptyShort = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE)]
NonEmptyLong = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000, pattern=LINES)]
Lines = Annotated[str, msgspec.Meta(max_length=20_000, pattern=LINES)]
FieldName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
FieldValue = Annotated[str, msgspec.Meta(max_length=200, pattern=ONE_LINE)]


class NewTicket(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/tickets` from channel frontends and the portal."""

    tenant: Tenant
    channel: Channel
    reporter: Reporter
    subject: NonEmptyShort
    description: NonEmptyLong
    kind: Literal["ticket", "complaint"] = "ticket"
    # Documents the unit's standard requires for this channel, e.g. Lampung's company NPWP.
    documents: dict[DocumentKind, NonEmptyShort] = {}
    # Ids from `POST /api/v1/attachments` (uploaded for the same unit, each used once).
    attachments: Annotated[list[Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]],
                           msgspec.Meta(max_length=10)] = []
    # The unit's own fields (its standard's `fields`), checked against it by intake.
    fields: Annotated[dict[FieldName, FieldValue], msgspec.Meta(max_length=50)] = {}


class TicketCreated(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: str
    access_token: str


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    occurred_at: datetime
    event: dict[str, Any]


class TicketView(msgspec.Struct, kw_only=True):
    """`GET /api/v1/tickets/{number}`: the ticket as the desk's read model knows it."""

    id: uuid.UUID
    number: str
    tenant: Tenant
    status: str
    category: Category | None
    priority: str | None
    tier: Tier
    channel: Channel
    subject: ShortText
    description: LongText
    reporter: Reporter
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_breached: bool = False
    resolution_breached: bool = False
    # True while the clock is stopped (waiting for the reporter); due times are then null.
    sla_paused: bool = False
    kind: str = "ticket"  # "complaint": pengaduan, saran, masukan
    acting_role: str = "helpdesk"  # who acts on it now (a complaint: the Kepala Unit)
    queue_number: str = ""
    # The reporter's SKM survey was filled (once per ticket): a portal offers it when this is
    # false and the ticket is closed.
    survey_submitted: bool = False
    fields: dict[str, str] = {}  # the unit's own fields (its standard's `fields`)
    assignee: str = ""  # staff view only: the username working the ticket, "" for nobody
    # Staff view only: what this staff member's role may do now (`classify`, `reply`,
    # `request-info`, `notes`, `escalate`, `answer`, `close`, `reopen`); empty for reporters.
    allowed_actions: list[str] = []
    timeline: list[TimelineEntry] = []


class Message(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """reply, request-info, answer, notes; and a reporter's reply."""

    message: NonEmptyLong


class Reason(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """reopen."""

    reason: NonEmptyLong


class Escalate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """escalate; to LKPP (outside this deployment) also the LPSE Support ticket the unit opened
    there, its number and link, both optional (staff only, never shown to reporters)."""

    reason: NonEmptyLong
    external_ref: Annotated[str, msgspec.Meta(max_length=100, pattern=ONE_LINE)] = ""
    external_url: Annotated[str, msgspec.Meta(
        max_length=500, pattern=r"^(?:|https?://[^\s\x00-\x1f\x7f]+)$")] = ""


class Close(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    resolution: NonEmptyLong
    publish_faq: bool = False


class Assign(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/tickets/{number}/assign`: an active staff user of the ticket's unit."""

    assignee: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]


class Feedback(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The reporter confirms the answer (`solved: true`) or says it did not help."""

    solved: bool
    message: Lines = ""


class Survey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/tickets/{number}/survey?token=`: the reporter's SKM of a closed ticket."""

    scores: SkmScores
    comment: Annotated[str, msgspec.Meta(max_length=2000, pattern=LINES)] = ""
    profile: SkmProfile = msgspec.field(default_factory=SkmProfile)  # every answer optional


class SurveyReceipt(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    type: str
    event_id: uuid.UUID


class ActionResult(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    type: str
    event_id: uuid.UUID
    status: str
    tier: Tier


class CounterEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A phone call or a walk-in visit recorded by staff (the electronic guest book)."""

    tenant: Tenant
    visitor: Reporter
    purpose: NonEmptyShort  # "keperluan" in the guest book
    subject: NonEmptyShort
    description: NonEmptyLong
    kind: Literal["ticket", "complaint"] = "ticket"
    documents: dict[DocumentKind, NonEmptyShort] = {}
    fields: Annotated[dict[FieldName, FieldValue], msgspec.Meta(max_length=50)] = {}


class CounterReceipt(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: str
    access_token: str
    queue_number: str = ""
