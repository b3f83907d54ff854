"""Dead letters: list them, and replay one through its consumer's handler exactly once.

Replaying stores the handler's decision together with a replay row whose primary key is the
letter's (consumer, stream sequence): a second replay of the same letter fails atomically.
The outbox's letters (events the relay set aside, `stream_seq` = their notification id) are
replayed by publishing them, once the bus takes them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from collections.abc import Awaitable, Callable

from ..schemas import InvalidEvent, decode_event, subject_for
from ..schemas.codec import headers_for
from .consumer import Handler
from .outbox import SET_ASIDE
from .store import IntegrityError, ServiceStore, Write


@dataclass(frozen=True)
class DeadLetter:
    service: str
    consumer: str
    stream_seq: int
    subject: str
    payload: bytes
    error: str
    attempts: int
    created_at: str
    replayed_at: str | None


class ReplayFailed(RuntimeError):
    pass


def list_dead_letters(store: ServiceStore, include_replayed: bool = False) -> list[DeadLetter]:
    p = store.prefix
    rows = store.query(
        f"SELECT d.consumer, d.stream_seq, d.subject, d.payload, d.error, d.attempts,"
        f" d.created_at, r.replayed_at FROM {p}_dead_letters d LEFT JOIN {p}_dead_letter_replays r"
        " ON r.consumer = d.consumer AND r.stream_seq = d.stream_seq"
        " ORDER BY d.created_at, d.stream_seq"
    )
    letters = [
        DeadLetter(store.service, c, int(seq), subj, base64.b64decode(payload), err, int(att),
                   created, replayed)
        for c, seq, subj, payload, err, att, created, replayed in rows
    ]
    return [d for d in letters if include_replayed or d.replayed_at is None]


def _replay_row(store: ServiceStore, letter: DeadLetter) -> Write:
    return Write(
        f"INSERT INTO {store.prefix}_dead_letter_replays (consumer, stream_seq, replayed_at)"
        " VALUES (?, ?, ?)",
        (letter.consumer, letter.stream_seq, datetime.now(UTC).isoformat()),
    )


async def republish(store: ServiceStore, letter: DeadLetter,
                    publish: Callable[[str, bytes, str, dict], Awaitable[bool]],
                    max_bytes: int) -> None:
    """Publish an event the outbox set aside. Its `Nats-Msg-Id` is the event id, so a crash
    between the publish and the replay row publishes nothing twice within the dedup window."""
    if letter.consumer != SET_ASIDE:
        raise ReplayFailed(f"{letter.consumer} bukan outbox")
    if letter.replayed_at:
        raise ReplayFailed(f"outbox#{letter.stream_seq} sudah diputar ulang {letter.replayed_at}")
    if len(letter.payload) > max_bytes:
        raise ReplayFailed(f"event masih terlalu besar untuk bus ({len(letter.payload)} byte > "
                           f"{max_bytes}) / still too large")
    try:
        event = decode_event(letter.payload)
    except InvalidEvent as exc:
        raise ReplayFailed(f"event tetap tidak valid, tidak bisa diputar ulang: {exc}") from None
    await publish(subject_for(event), letter.payload, str(event.event_id), headers_for(event))
    try:
        store.execute([_replay_row(store, letter)])
    except IntegrityError:
        pass  # another replay raced this one; the stream dropped one publish as a duplicate


def replay_dead_letter(store: ServiceStore, letter: DeadLetter, handler: Handler) -> int:
    """Run the handler again on a kept message; returns how many events it stored."""
    try:
        event = decode_event(letter.payload)
    except InvalidEvent as exc:
        raise ReplayFailed(f"pesan tetap tidak valid, tidak bisa diputar ulang: {exc}") from None
    decision = handler(event, letter.stream_seq)
    try:
        store.record(decision.events, writes=[*decision.writes, _replay_row(store, letter)])
    except IntegrityError as exc:
        raise ReplayFailed(
            f"dead letter {letter.consumer}#{letter.stream_seq} sudah pernah diputar ulang "
            f"atau bentrok dengan keputusan lain: {exc}"
        ) from None
    return len(decision.events)
