"""Every ticket event on the bus and in the service stores, as one msgspec struct each.

The same struct is the wire format (JSON on NATS) and the stored state in each service's
event store: the outbox relay publishes the stored bytes unchanged. Rules (docs/design.md):
- frozen, kw_only, a stable explicit tag (`"ticket.received"`), envelope fields first;
- a new field needs a default, so old stored events still decode;
- a breaking change is a new tag plus an upcaster in `codec.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Union

import msgspec

from .survey import SKM_ELEMENTS, SkmScores  # noqa: F401  (re-exported with the events)
from .envelope import (  # noqa: F401  (re-exported: every event module's ground)
    SCHEMA_VERSION, SYSTEM, Actor, Envelope, LongText, Role, ShortText, Tenant, TicketEvent,
)
from .desk_events import (  # noqa: F401  (re-exported with the rest)
    InfoRequested, NoteAdded, SurveySubmitted, TicketAssigned, TicketClosed, TicketReopened,
    TicketReplied, TicketUnassigned, TicketMerged, MergeReceived, TicketLinked,
)
from .privacy_events import PersonalDataErased  # noqa: F401  (re-exported with the rest)

# Text from outside carries no control characters: PostgreSQL cannot store NUL, and CR or LF in
# a name, an address or a subject would cut the headers of a mail sent with it. Written as a
# look-ahead over the whole value, because `$` also matches before a final newline. Tabs pass
# (an unfolded mail subject has them); text of several lines keeps its CR and LF.
ONE_LINE = r"^(?![\s\S]*[\x00-\x08\x0a-\x1f\x7f])"
LINES = r"^(?![\s\S]*[\x00-\x08\x0b\x0c\x0e-\x1f\x7f])"
EMAIL = r"^(?![\s\S]*[\s\x00-\x1f\x7f])(?:|[^@]+@[^@]+\.[^@]+)$"  # or empty

Channel = Literal["web", "email", "phone", "walk_in", "api"]
# Documents a unit's standard may require (Persyaratan); the value is a reference the reporter
# gives: a number (NIK, NPWP), an attachment id, or "dibawa ke loket".
DocumentKind = Literal[
    "id_card", "company_npwp", "director_id_card", "request_letter", "company_documents",
    "screenshot",
]
Category = Literal["gangguan", "permasalahan", "permintaan_layanan"]
Priority = Literal["tinggi", "sedang", "rendah"]
Tier = Literal["helpdesk", "koordinator", "admin_ppe", "lkpp"]
SlaTarget = Literal["first_response", "resolution"]


class Reporter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who asked: an OPD/PPK (government buyer), a penyedia (vendor) or someone else."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE)]
    email: Annotated[str, msgspec.Meta(
        max_length=254, pattern=EMAIL)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40, pattern=ONE_LINE)] = ""
    kind: Literal["ppk", "penyedia", "other"] = "other"
    organization: Annotated[str, msgspec.Meta(max_length=200, pattern=ONE_LINE)] = ""


class AttachmentRef(msgspec.Struct, frozen=True, kw_only=True):
    """A file kept in the JetStream object store `ATTACHMENTS`; events carry only this."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
    filename: ShortText
    content_type: ShortText
    size: Annotated[int, msgspec.Meta(ge=0)]
    sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]




# --- intake ---------------------------------------------------------------------------------


class TicketReceived(TicketEvent, frozen=True, kw_only=True, tag="ticket.received"):
    number: ShortText
    channel: Channel
    reporter: Reporter
    subject: ShortText
    description: LongText
    # Only a hash travels: the reporter's token is a secret, the bus is not.
    access_token_sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    kind: Literal["ticket", "complaint"] = "ticket"
    documents: dict[DocumentKind, ShortText] = {}
    attachments: list[AttachmentRef] = []
    queue_number: ShortText = ""  # walk-in: the visitor's number for the day (e.g. "A-007")
    logged_by: ShortText = ""  # phone and walk-in: the staff member who recorded it
    # email: the reporter's first mail's Message-ID, the root its later mails thread under
    message_id: ShortText = ""
    # The unit's own fields (its standard's `fields`): name -> the value as given.
    fields: dict[Annotated[str, msgspec.Meta(max_length=32)], ShortText] = {}


class ReporterReplied(TicketEvent, frozen=True, kw_only=True, tag="ticket.reporter_replied"):
    message: LongText
    channel: Channel = "web"
    attachments: list[AttachmentRef] = []


class ReporterFeedback(TicketEvent, frozen=True, kw_only=True, tag="ticket.reporter_feedback"):
    """The reporter confirms the answer helped, or says it did not (which may reopen it)."""

    solved: bool
    message: LongText = ""


# --- triage ---------------------------------------------------------------------------------


class TicketClassified(TicketEvent, frozen=True, kw_only=True, tag="ticket.classified"):
    category: Category
    priority: Priority
    confidence: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    actor: Actor = SYSTEM
    reason: LongText = ""
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    # The model that decided an automatic classification ("" for staff and older events),
    # and whether its confidence was low enough for staff to check it ("perlu ditinjau").
    model_version: ShortText = ""
    needs_review: bool = False


# --- escalation -----------------------------------------------------------------------------


class EscalatedToCoordinator(
    TicketEvent, frozen=True, kw_only=True, tag="ticket.escalated_to_coordinator"
):
    """Up one tier to Koordinator Helpdesk or Admin PPE, as the unit's chain orders them."""

    from_tier: Tier
    to_tier: Literal["koordinator", "admin_ppe"]
    reason: LongText
    actor: Actor = SYSTEM
    automatic: bool = False
    resolution_due: datetime | None = None


class EscalatedToLkpp(TicketEvent, frozen=True, kw_only=True, tag="ticket.escalated_to_lkpp"):
    """Up to the national helpdesk at LKPP, outside this deployment: the unit opens a ticket in
    LPSE Support and records its number and link here (staff only, never shown to reporters)."""

    from_tier: Tier
    reason: LongText
    actor: Actor = SYSTEM
    automatic: bool = False
    resolution_due: datetime | None = None
    external_ref: Annotated[str, msgspec.Meta(max_length=100, pattern=ONE_LINE)] = ""
    external_url: Annotated[str, msgspec.Meta(
        max_length=500, pattern=r"^(?:|https?://[^\s\x00-\x1f\x7f]+)$")] = ""


class EscalationAnswered(TicketEvent, frozen=True, kw_only=True, tag="ticket.escalation_answered"):
    """A higher tier sends its answer back down; the helpdesk informs the reporter."""

    from_tier: Tier
    to_tier: Tier
    message: LongText
    actor: Actor


class SlaBreached(TicketEvent, frozen=True, kw_only=True, tag="ticket.sla_breached"):
    target: SlaTarget
    due_at: datetime
    tier: Tier = "helpdesk"


# --- notify ---------------------------------------------------------------------------------


class NotificationSent(TicketEvent, frozen=True, kw_only=True, tag="ticket.notification_sent"):
    """A mail (or webhook) about this ticket left for its recipient."""

    channel: Literal["email", "webhook"] = "email"
    recipient: ShortText
    template: ShortText
    attempt: int = 1


class NotificationFailed(TicketEvent, frozen=True, kw_only=True, tag="ticket.notification_failed"):
    """An attempt failed; `will_retry` says whether notify tries again (with backoff)."""

    channel: Literal["email", "webhook"] = "email"
    recipient: ShortText
    template: ShortText
    attempt: int
    error: LongText
    will_retry: bool = True


ALL_EVENTS: tuple[type[TicketEvent], ...] = (
    TicketReceived,
    ReporterReplied,
    ReporterFeedback,
    TicketClassified,
    EscalatedToCoordinator,
    EscalatedToLkpp,
    EscalationAnswered,
    SlaBreached,
    TicketReplied,
    InfoRequested,
    NoteAdded,
    TicketClosed,
    TicketReopened, TicketAssigned, TicketUnassigned,
    TicketMerged, MergeReceived, TicketLinked,
    SurveySubmitted,
    NotificationSent,
    NotificationFailed,
    PersonalDataErased,
)

# The tagged union the decoder takes: built from ALL_EVENTS, so an event is listed once.
AnyTicketEvent = Union[ALL_EVENTS]  # type: ignore[valid-type]  # noqa: UP007

# Which service may publish which event (docs/design.md, "Each service owns its decisions").
OWNERS: dict[str, tuple[type[TicketEvent], ...]] = {
    "intake": (TicketReceived, ReporterReplied, ReporterFeedback),
    "triage": (TicketClassified,),
    "escalation": (EscalatedToCoordinator, EscalatedToLkpp, EscalationAnswered, SlaBreached),
    "desk": (TicketReplied, InfoRequested, NoteAdded, TicketClosed, TicketReopened,
             TicketAssigned, TicketUnassigned, TicketMerged, MergeReceived, TicketLinked,
             SurveySubmitted, PersonalDataErased),
    "notify": (NotificationSent, NotificationFailed),
}
