"""The process's JetStream context, or `BusDown` while NATS is not connected.

faststream's `broker.connection` raises its own `IncorrectState` before the first connection;
callers that answer users (the decision guard, attachments) need one error that says "NATS is
not there now", so that they answer 503 instead of crashing.
"""

from __future__ import annotations

from faststream.exceptions import IncorrectState


class BusDown(ConnectionError):
    pass


def jetstream(broker):
    try:
        return broker.connection.jetstream()
    except IncorrectState as exc:
        raise BusDown("NATS belum terhubung / not connected yet") from exc
