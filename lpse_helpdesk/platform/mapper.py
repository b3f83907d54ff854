"""How a ticket event is stored: `Stored` (the event at its place in its aggregate's sequence)
and the mapper to eventsourcing's `StoredEvent`, whose state is the event's wire JSON, so the
outbox relay publishes the stored bytes as they are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from eventsourcing.persistence import Mapper, StoredEvent

from ..schemas import TicketEvent, decode_event, encode_event


@dataclass(frozen=True)
class Stored:
    """An event at its position in one aggregate's sequence (the ticket, usually).

    The position is a store concern, so it lives beside the event, not in its wire format.
    """

    event: TicketEvent
    originator_id: uuid.UUID
    originator_version: int


class EventTooLarge(ValueError):
    """A decided event larger than a bus message may be: refused before anything is stored, so
    it can never reach the outbox and hold up the events behind it."""

    def __init__(self, tag: str, size: int, limit: int):
        super().__init__(f"event {tag} terlalu besar untuk bus ({size} byte > {limit}); kurangi "
                         f"lampiran atau teks / event too large for the bus")
        self.tag, self.size, self.limit = tag, size, limit


class MsgspecMapper(Mapper):
    """Maps `Stored` <-> eventsourcing's `StoredEvent` with msgspec instead of a transcoder."""

    def __init__(self, max_event_bytes: int | None = None) -> None:
        # No transcoder, compressor or cipher: the bytes are the wire JSON.
        self.transcoder = self.compressor = self.cipher = None  # type: ignore[assignment]
        self.max_event_bytes = max_event_bytes

    def to_stored_event(self, domain_event: Stored) -> StoredEvent:  # type: ignore[override]
        state = encode_event(domain_event.event)
        if self.max_event_bytes is not None and len(state) > self.max_event_bytes:
            raise EventTooLarge(domain_event.event.tag, len(state), self.max_event_bytes)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=domain_event.event.tag,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Stored:  # type: ignore[override]
        originator_id = stored_event.originator_id
        if not isinstance(originator_id, uuid.UUID):
            originator_id = uuid.UUID(str(originator_id))
        return Stored(
            event=decode_event(stored_event.state),
            originator_id=originator_id,
            originator_version=stored_event.originator_version,
        )
