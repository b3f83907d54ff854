"""The rebuild's decoder (`platform/rebuilddecode.py`) gives what `decode_event` gives, asks the
key store once per ticket (again after its ttl), and hands back the wire bytes only where they
are the event's encoding: a sealed event opened with its key, not an erased or unsealed one."""

from __future__ import annotations

import uuid

import pytest

from lpse_helpdesk.platform.rebuilddecode import StreamDecoder
from lpse_helpdesk.schemas import (
    InvalidEvent,
    decode_event,
    encode_event,
    new_envelope,
    sealing,
)
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.codec import encode_plain
from lpse_helpdesk.schemas.desk_events import TicketReplied


def history(ticket: uuid.UUID) -> list:
    staff = ev.Actor(id="hd.btm", role="helpdesk")
    return [
        ev.TicketReceived(**new_envelope(ticket, "batam"), number="BTM-2026-000001",
                          channel="web", reporter=ev.Reporter(name="Budi", email="budi@x.id"),
                          subject="Tidak bisa login", description="Rahasia",
                          access_token_sha256="a" * 64),
        ev.TicketClassified(**new_envelope(ticket, "batam"), category="gangguan",
                            priority="sedang", confidence=0.9, reason="model"),  # not sealed
        TicketReplied(**new_envelope(ticket, "batam"), message="Coba reset", actor=staff),
    ]


def test_same_events_as_decode_event_and_the_wire_bytes_where_they_are_the_encoding():
    ticket = uuid.uuid4()
    events = history(ticket)
    wires = [encode_event(e) for e in events]
    decoder = StreamDecoder()
    for event, data in zip(events, wires, strict=True):
        decoded, wire = decoder.decode(data)
        assert decoded == decode_event(data) == event
        if sealing.split(data)[1] is None:
            assert wire is None  # encoded again by the projection
        else:
            assert wire == data.decode() == encode_event(decoded).decode()
    assert decoder.asked == 1  # one look-up for the ticket's two sealed events


def test_an_erased_ticket_reads_placeholders_and_is_encoded_again():
    ticket = uuid.uuid4()
    data = encode_event(history(ticket)[2])
    sealing.keystore().forget("batam", [ticket])
    decoded, wire = StreamDecoder().decode(data)
    assert decoded == decode_event(data)
    assert decoded.message == sealing.ERASED and wire is None


def test_an_event_stored_before_sealing_is_not_kept_as_it_came():
    event = history(uuid.uuid4())[2]
    decoded, wire = StreamDecoder().decode(encode_plain(event))
    assert decoded == event and wire is None  # the projection seals it as the live one does


def test_keys_are_asked_again_after_the_ttl():
    now = [0.0]
    decoder = StreamDecoder(ttl=30, clock=lambda: now[0])
    data = encode_event(history(uuid.uuid4())[2])
    decoder.decode(data)
    decoder.decode(data)
    now[0] = 31.0
    decoder.decode(data)
    assert decoder.asked == 2


@pytest.mark.parametrize("data", [b"{", b'{"type": "ticket.nope"}'])
def test_bad_messages_raise_invalid_event(data):
    with pytest.raises(InvalidEvent):
        StreamDecoder().decode(data)


def test_a_seal_moved_to_another_event_is_refused():
    one, two = history(uuid.uuid4())[2], history(uuid.uuid4())[2]
    moved = encode_event(two)[:-2].rsplit(b'"sealed":"', 1)[0] + encode_event(one)[
        encode_event(one).rfind(b'"sealed":"'):]
    with pytest.raises(InvalidEvent):
        StreamDecoder().decode(moved)
