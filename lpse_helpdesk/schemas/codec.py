"""One encoder, one decoder and the subject naming for ticket events.

What is encoded for the store and the bus has its personal fields sealed with the ticket's key
(`sealing.py`); decoding opens them (placeholders once the key is erased). `encode_plain` is
for what leaves the helpdesk for a receiver without the keys (webhooks).

Decoding is strict: an unknown tag, a wrong type or a missing field raises `InvalidEvent` with
msgspec's path to the bad field (`$.reporter.email`), so a dead-letter record says what is wrong.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Union

import msgspec

from . import sealing
from .events import ALL_EVENTS, AnyTicketEvent, TicketEvent
from .faq import FAQ_EVENTS, FaqEvent

STREAM = "TICKETS"
SUBJECT_PREFIX = "helpdesk"
# Every ticket and FAQ event of every unit; the `*` is the tenant. `>` also holds the
# earlier per-ticket subjects (`helpdesk.<tenant>.ticket.<id>.<event>`) still in a stream.
STREAM_SUBJECTS = [f"{SUBJECT_PREFIX}.*.ticket.>", f"{SUBJECT_PREFIX}.*.faq.>"]
# The subject names the unit and the event, never the ticket: a subject per ticket cost
# nats-server 1.3-3 KB of memory per ticket for as long as its events stay in the stream
# (100,000 tickets measured). The ticket (or FAQ entry) is named by a header on every message.
TICKET_HEADER = "Helpdesk-Ticket"
FAQ_HEADER = "Helpdesk-Faq-Entry"

_encoder = msgspec.json.Encoder()
# One decoder for everything on the bus: ticket events and FAQ entry events.
_decoder = msgspec.json.Decoder(Union[(*ALL_EVENTS, *FAQ_EVENTS)])  # type: ignore[valid-type]


class InvalidEvent(ValueError):
    """A message that is not a valid ticket event of this contract."""


def encode_event(event: TicketEvent) -> bytes:
    """The event's wire bytes for the store and the bus: its personal fields sealed."""
    return sealing.seal(event, _encoder)


def encode_plain(event: TicketEvent) -> bytes:
    """The event with its personal values in clear: only for a receiver outside the helpdesk
    that has no keys (a webhook), never for the store or the bus."""
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> AnyTicketEvent:
    """The event of wire bytes, its sealed personal fields opened (placeholders when erased).
    Raises `InvalidEvent` for anything not a valid event, a broken seal included."""
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, bytes):
        data = bytes(data)  # a memoryview or bytearray from a driver
    try:
        body, sealed = sealing.split(data)
        event = _decoder.decode(body)
        return event if sealed is None else sealing.unseal(event, sealed)
    except msgspec.ValidationError as exc:
        raise InvalidEvent(f"pesan event tidak valid / invalid event: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InvalidEvent(f"pesan bukan JSON yang sah / malformed JSON: {exc}") from None
    except sealing.SealBroken as exc:
        raise InvalidEvent(f"pesan event tidak valid / invalid event: {exc}") from None


def event_name(event) -> str:
    """`ticket.received` -> `received`, `faq.published` -> `published`: the subject's last token."""
    return event.tag.split(".", 1)[1]


def subject_for(event) -> str:
    """`helpdesk.<tenant>.ticket.<event>` (`helpdesk.<tenant>.faq.<event>`): the event name is
    the last token, so a consumer filters on the types it handles."""
    kind = "faq" if isinstance(event, FaqEvent) else "ticket"
    return f"{SUBJECT_PREFIX}.{event.tenant}.{kind}.{event_name(event)}"


def headers_for(event) -> dict[str, str]:
    """The header naming the event's ticket (or FAQ entry), beside `Nats-Msg-Id`: how a
    subscriber follows one ticket."""
    if isinstance(event, FaqEvent):
        return {FAQ_HEADER: str(event.entry_id)}
    return {TICKET_HEADER: str(event.ticket_id)}


def publish_headers(event_id: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The headers of one published event: the dedup id and those of `headers_for`."""
    return {"Nats-Msg-Id": event_id, **(extra or {})}


def subject_filter(event_types: tuple[type[TicketEvent], ...] = (), tenant: str = "*") -> list[str]:
    """NATS subject filters for the given event types (all ticket events when empty)."""
    if not event_types:
        return [f"{SUBJECT_PREFIX}.{tenant}.ticket.>"]
    names = [t.__struct_config__.tag.removeprefix("ticket.") for t in event_types]
    # The second pattern reads the per-ticket subjects of events published before the ticket
    # left the subject: a stream keeps them up to its max age (or until `stream refill
    # --purge`), and a consumer behind at the upgrade, or a rebuild, still needs them.
    return [f"{SUBJECT_PREFIX}.{tenant}.ticket.{name}" for name in names] + [
        f"{SUBJECT_PREFIX}.{tenant}.ticket.*.{name}" for name in names]


def new_envelope(ticket_id: uuid.UUID, tenant: str, at: datetime | None = None) -> dict:
    """The envelope fields of a new event: a fresh id and the decision time (now, in UTC)."""
    return {
        "event_id": uuid.uuid4(),
        "ticket_id": ticket_id,
        "tenant": tenant,
        "occurred_at": at or datetime.now(UTC),
    }
