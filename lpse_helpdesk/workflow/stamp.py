"""The id and time a decision gives its event, handed to it so a decision needs no clock and no
random source: a pure function of what it is given."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Stamp:
    event_id: uuid.UUID
    at: datetime

    @classmethod
    def new(cls, at: datetime) -> Stamp:
        return cls(uuid.uuid4(), at)

    def envelope(self, ticket_id: uuid.UUID, tenant: str) -> dict:
        """The envelope fields of the new event (as `schemas.new_envelope`, with these values)."""
        return {"event_id": self.event_id, "ticket_id": ticket_id, "tenant": tenant,
                "occurred_at": self.at}
