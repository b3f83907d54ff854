"""What a tracked consumer does with the messages its faststream subscriber hands it, on
faststream's `TestNatsBroker` (no server): the subscriber, its parser and the handler call are
faststream's own; only the broker is faked. A message's stream sequence and delivery count come
from its JetStream ack subject, as from a real server."""

from __future__ import annotations

import time
import uuid

import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from faststream.nats.testing import PatchedMessage, build_message

from lpse_helpdesk.platform.consumer import Decision, TrackedConsumer
from lpse_helpdesk.platform.store import ServiceStore, Write
from lpse_helpdesk.platform.subscription import subscribe
from lpse_helpdesk.schemas import STREAM, encode_event, new_envelope, subject_for
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.settings import Settings

ROWS = "CREATE TABLE IF NOT EXISTS {p}_rows (k TEXT PRIMARY KEY, v INTEGER)"
NAME = "uji"
SETTINGS = dict(max_attempts=3, retry_base_delay=0.5, retry_max_delay=30.0, max_body_bytes=4096)


def reply(tenant: str = "tuban", message: str = "Silakan coba lagi") -> ev.TicketReplied:
    return ev.TicketReplied(**new_envelope(uuid.uuid4(), tenant), message=message,
                            actor=ev.Actor(id="sari", role="helpdesk"))


def ack_subject(seq: int, delivered: int = 1) -> str:
    """A JetStream message's reply subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<stream
    seq>.<consumer seq>.<timestamp ns>.<pending>`."""
    return f"$JS.ACK.{STREAM}.{NAME}.{delivered}.{seq}.{seq}.{time.time_ns()}.0"


@pytest.fixture
def store(tmp_path):
    s = ServiceStore("desk", Settings(data_dir=tmp_path), [ROWS])
    yield s
    s.close()


@pytest.fixture
def answers(monkeypatch, store):
    """What each message got back, in order: (stream seq, "ack" or "nak", nak delay, whether its
    tracking row was committed when the answer was sent)."""
    sent: list[tuple[int, str, float | None, bool]] = []

    def note(message, kind, delay=None):
        seq = message.metadata.sequence.stream
        sent.append((seq, kind, delay, store.is_tracked(NAME, seq)))

    async def ack(self):
        note(self, "ack")

    async def nak(self, delay=None):
        note(self, "nak", delay)

    monkeypatch.setattr(PatchedMessage, "ack", ack)
    monkeypatch.setattr(PatchedMessage, "nak", nak)
    return sent


def consumer_of(store, handler, subject=("helpdesk.*.ticket.>", "helpdesk.*.faq.>")):
    return TrackedConsumer(NAME, subject, handler, store, Settings(**SETTINGS))


def writes_row(store, seen=None):
    def handler(event, seq):
        if seen is not None:
            seen.append((seq, event.message))
        return Decision(writes=[Write(f"INSERT INTO {store.prefix}_rows VALUES (?, ?)",
                                      (str(event.event_id), seq))])
    return handler


async def deliver(broker, event, seq, delivered=1, body=None):
    await broker.publish(encode_event(event) if body is None else body, subject_for(event),
                         stream=STREAM, reply_to=ack_subject(seq, delivered))


def rows(store):
    return store.query(f"SELECT v FROM {store.prefix}_rows ORDER BY v")


def dead_letters(store):
    return store.query(f"SELECT stream_seq, attempts, error FROM {store.prefix}_dead_letters")


async def test_a_decided_message_is_stored_with_its_tracking_then_acked(store, answers):
    broker = NatsBroker()
    subscribe(broker, consumer_of(store, writes_row(store)))
    async with TestNatsBroker(broker) as br:
        await deliver(br, reply(), 7)
    assert rows(store) == [(7,)]
    assert answers == [(7, "ack", None, True)]  # tracked (committed) before the ack


async def test_a_tracked_message_is_only_acked(store, answers):
    calls = []
    broker = NatsBroker()
    subscribe(broker, consumer_of(store, writes_row(store, calls)))
    event = reply()
    async with TestNatsBroker(broker) as br:
        await deliver(br, event, 7)
        await deliver(br, event, 7, delivered=2)  # redelivered: the first ack was lost
    assert calls == [(7, event.message)]  # decided once
    assert rows(store) == [(7,)]
    assert [a[:2] for a in answers] == [(7, "ack"), (7, "ack")]


async def test_a_failing_handler_is_nakked_with_backoff_then_dead_lettered(store, answers):
    def fails(event, seq):
        raise RuntimeError("layanan surel mati")

    broker = NatsBroker()
    subscribe(broker, consumer_of(store, fails))
    event = reply()
    async with TestNatsBroker(broker) as br:
        for attempt in (1, 2, 3):  # SETTINGS: max_attempts 3, delays 0.5 s doubling
            await deliver(br, event, 9, delivered=attempt)
    assert answers == [(9, "nak", 0.5, False), (9, "nak", 1.0, False), (9, "ack", None, True)]
    [(seq, attempts, error)] = dead_letters(store)
    assert (seq, attempts) == (9, 3) and "layanan surel mati" in error


async def test_an_invalid_or_oversize_message_is_a_dead_letter_at_once(store, answers):
    calls = []
    broker = NatsBroker()
    subscribe(broker, consumer_of(store, writes_row(store, calls)))
    async with TestNatsBroker(broker) as br:
        await deliver(br, reply(), 3, body=b"{bukan json")
        await deliver(br, reply(message="x" * 5000), 4)  # over max_body_bytes
    assert calls == []
    assert [(seq, attempts) for seq, attempts, _ in dead_letters(store)] == [(3, 1), (4, 1)]
    assert answers == [(3, "ack", None, True), (4, "ack", None, True)]


async def test_a_batch_is_decided_in_stream_order_and_acked_after_one_commit(store, answers):
    seen = []
    broker = NatsBroker()
    subscriber = subscribe(broker, consumer_of(store, writes_row(store, seen)))
    events = [reply(message=f"balasan {i}") for i in range(5)]
    async with TestNatsBroker(broker):
        batch = [await build_message(encode_event(e), subject_for(e), reply_to=ack_subject(s))
                 for s, e in zip(range(20, 25), events)]
        await subscriber.process_message(batch)  # one fetch of five, as the subscriber hands it
    assert seen == [(s, e.message) for s, e in zip(range(20, 25), events)]
    assert rows(store) == [(s,) for s in range(20, 25)]
    # Every ack after the commit: each message's tracking row was there when it was acked.
    assert answers == [(s, "ack", None, True) for s in range(20, 25)]


async def test_one_failing_message_in_a_batch_is_retried_alone(store, answers):
    def handler(event, seq):
        if event.message == "gagal":
            raise RuntimeError("sementara")
        return writes_row(store)(event, seq)

    broker = NatsBroker()
    subscriber = subscribe(broker, consumer_of(store, handler))
    events = [reply(), reply(message="gagal"), reply()]
    async with TestNatsBroker(broker):
        batch = [await build_message(encode_event(e), subject_for(e), reply_to=ack_subject(s))
                 for s, e in zip((1, 2, 3), events)]
        await subscriber.process_message(batch)
    assert rows(store) == [(1,), (3,)]  # its savepoint undone, the others kept
    assert answers == [(1, "ack", None, True), (2, "nak", 0.5, False), (3, "ack", None, True)]


async def test_each_subject_filter_reaches_the_consumer(store, answers):
    broker = NatsBroker()
    subscribe(broker, consumer_of(store, writes_row(store),
                                  subject=("helpdesk.tuban.ticket.>", "helpdesk.batam.ticket.>")))
    async with TestNatsBroker(broker) as br:
        await deliver(br, reply("tuban"), 1)
        await deliver(br, reply("batam"), 2)
        await deliver(br, reply("ambon"), 3)  # matches neither filter: not handed to it
    assert rows(store) == [(1,), (2,)]
    assert [a[0] for a in answers] == [1, 2]
