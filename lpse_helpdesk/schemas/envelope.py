"""What every event carries (the envelope, the actor) and the text types events share: the
ground `events.py` and the per-service event modules (`desk_events.py`) both stand on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

SCHEMA_VERSION = 1

# Tenant ids are short lowercase unit names (batubara, lampung, ...); they are also a token of
# the NATS subject, so dots, spaces and wildcards must be impossible.
Tenant = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000)]
Role = Literal[
    "helpdesk", "koordinator", "admin_ppe", "lkpp", "kepala_unit", "admin", "reporter", "system"
]


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who made a decision: a staff member, the reporter, or the system (rules, timers)."""

    id: ShortText
    role: Role


SYSTEM = Actor(id="system", role="system")


class Envelope(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """What every event on the bus carries, ticket or FAQ entry."""

    event_id: uuid.UUID
    tenant: Tenant
    occurred_at: datetime
    schema_version: int = SCHEMA_VERSION

    @property
    def tag(self) -> str:
        return self.__struct_config__.tag  # type: ignore[return-value]


class TicketEvent(Envelope, frozen=True, kw_only=True):
    """The envelope of a ticket's events: the ticket they belong to."""

    ticket_id: uuid.UUID
