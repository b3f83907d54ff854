"""Reading the `TICKETS` stream fast, a pull at a time, for the bulk rebuild (`rebuild.py`).

It reads over the connection of a faststream broker like every other NATS client here (the
runtime's `broker.connection`, or `bus.command_connection` for `rebuild`), but not through a
faststream subscriber: a subscriber hands its handler what nats-py's `fetch` returns, and `fetch`
is the per-message cost this module avoids (see `stream_batches`); an ephemeral consumer read
once to its end, without acks, has no handler to run either.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ..schemas import STREAM


def _stream_position(reply: str) -> tuple[int, int, int]:
    """(stream sequence, consumer sequence, pending) from a JetStream message's reply subject:
    `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`, or the form with
    domain and account hash (`$JS.ACK.<domain>.<hash>.<stream>...`, 12 or more tokens)."""
    tokens = reply.split(".")
    if len(tokens) == 9:
        return int(tokens[5]), int(tokens[6]), int(tokens[8])
    if len(tokens) >= 12:
        return int(tokens[7]), int(tokens[8]), int(tokens[10])
    raise ValueError(f"not a JetStream reply subject: {reply!r}")


PULL = 5000  # messages a pull request asks for: the rebuild's unit of reading and of progress
Progress = Callable[[int, int], None]  # (messages read so far, messages to read)


async def stream_batches(connection, subjects: list[str], batch: int | None = None,
                         timeout: float = 10.0, progress: Progress | None = None,
                         ) -> AsyncIterator[list[tuple[int, str, bytes]]]:
    """Every message of `TICKETS` on `subjects`, in stream order, as (seq, subject, data), one
    pull request's worth (`batch`, default `PULL`) at a time: an ephemeral pull consumer without
    acks, up to the last message that matched when the consumer was created (its `num_pending`
    then). `progress` hears the count to read, then the count read after each pull.

    Why not nats-py's `fetch`: it awaits every message through `next_msg`, a task and a
    `wait_for` each, about 50 µs a message and more than half of the rebuild's time. Here the
    pull requests go by hand to an inbox whose callback only appends, and the next request is
    sent when the previous one is complete. A message lost on the way (a slow-consumer drop)
    would leave a gap in the consumer sequence: that is checked, and it fails the read rather
    than rebuild without it."""
    import asyncio
    import json

    js = connection.jetstream()
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60,
        mem_storage=True, filter_subject=subjects[0] if len(subjects) == 1 else None,
        filter_subjects=subjects if len(subjects) > 1 else None)
    info = await js.add_consumer(STREAM, config)
    total = info.num_pending  # what matched when the read began
    batch = batch or PULL
    if progress is not None:
        progress(0, total)
    if not total:  # a pull would only wait for its expiry
        await _forget_consumer(connection, info.name)
        return
    loop = asyncio.get_running_loop()
    state = {"cseq": 0, "read": 0}
    out: list[tuple[int, str, bytes]] = []
    request_done: asyncio.Future = loop.create_future()

    def finish_request(error: BaseException | None = None) -> None:
        if not request_done.done():
            if error is None:
                request_done.set_result(None)
            else:
                request_done.set_exception(error)

    async def on_message(message) -> None:
        if not message.reply:  # a status: 404 no messages or 408 expired ends the request
            status = (message.headers or {}).get("Status")
            if status in ("404", "408"):
                finish_request()
            else:
                description = (message.headers or {}).get("Description", "")
                finish_request(RuntimeError(f"pull request gagal / failed: {status} {description}"))
            return
        if state["read"] >= total:  # matched after the read began
            finish_request()
            return
        seq, cseq, pending = _stream_position(message.reply)
        if cseq != state["cseq"] + 1:
            finish_request(RuntimeError(
                "pesan stream hilang saat dibaca / message lost while reading the stream"
                f" (consumer seq {cseq}, expected {state['cseq'] + 1})"))
            return
        state["cseq"] = cseq
        state["read"] += 1
        out.append((seq, message.subject, message.data))
        if state["read"] >= total or pending == 0 or len(out) >= batch:
            finish_request()

    inbox = connection.new_inbox()
    subscription = await connection.subscribe(inbox, cb=on_message)
    next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{info.name}"
    request = json.dumps({"batch": batch, "expires": int(timeout * 1e9)}).encode()
    try:
        while state["read"] < total:
            out = []
            request_done = loop.create_future()
            await connection.publish(next_subject, request, reply=inbox)
            await asyncio.wait_for(request_done, timeout + 5)
            if not out:  # expired without a message: nothing more matches
                break
            if progress is not None:
                progress(state["read"], total)
            yield out
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        await _forget_consumer(connection, info.name)


async def _forget_consumer(connection, name: str) -> None:
    """Delete the ephemeral consumer without waiting for the reply (it also expires by itself
    after `inactive_threshold`): one round trip less per read."""
    with contextlib.suppress(Exception):
        await connection.publish(f"$JS.API.CONSUMER.DELETE.{STREAM}.{name}", b"")
