"""The wire contract: ticket events (`events`), their codec and subjects (`codec`)."""

from .codec import (
    STREAM,
    STREAM_SUBJECTS,
    SUBJECT_PREFIX,
    InvalidEvent,
    decode_event,
    encode_event,
    event_name,
    new_envelope,
    subject_filter,
    subject_for,
)
from .events import *  # noqa: F403
from .events import ALL_EVENTS, OWNERS, AnyTicketEvent, TicketEvent

__all__ = [
    "ALL_EVENTS",
    "OWNERS",
    "STREAM",
    "STREAM_SUBJECTS",
    "SUBJECT_PREFIX",
    "AnyTicketEvent",
    "InvalidEvent",
    "TicketEvent",
    "decode_event",
    "encode_event",
    "event_name",
    "new_envelope",
    "subject_filter",
    "subject_for",
]
