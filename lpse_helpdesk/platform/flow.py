"""Is everything still flowing? What /ready and /metrics report beyond "connected".

A helpdesk can be connected and still stuck: an outbox relay that fails every round, a durable
consumer whose oldest message is never acked, a stream that refuses every publish because it is
full, a data folder without room. Each of those means tickets are taken (201) and never reach
staff, so each makes /ready answer 503 with the reason, and each has a gauge on /metrics.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

# A consumer whose ack floor has not moved for this long while messages wait is stuck: longer
# than a message's retries with backoff take before it becomes a dead letter.
CONSUMER_STALLED_AFTER_S = 120.0
FULL_RATIO = 0.95  # of a stream's or account's storage limit
# Below this, SQLite and JetStream writes are about to fail. An absolute figure, not a share of
# the disk: 2 % of a large shared disk is gigabytes that a small deployment never needs.
DISK_MIN_FREE_BYTES = 64 * 1024 * 1024


@dataclass
class ConsumerProgress:
    """Remembers when each durable consumer's ack floor last moved."""

    floors: dict[str, tuple[int, float]] = field(default_factory=dict)  # name -> (floor, since)

    def stalled(self, name: str, ack_floor: int, pending: int,
                now: float | None = None) -> str | None:
        now = time.monotonic() if now is None else now
        floor, since = self.floors.get(name, (None, now))
        if floor != ack_floor or pending == 0:
            self.floors[name] = (ack_floor, now)
            return None
        idle = now - since
        if idle < CONSUMER_STALLED_AFTER_S:
            return None
        return (f"consumer {name} macet {int(idle)} s pada urutan {ack_floor + 1}, "
                f"{pending} pesan menunggu / stalled")


def stream_full(used_bytes: int, max_bytes: int, used_msgs: int = 0, max_msgs: int = 0) -> str | None:
    """Why the stream (or the account's JetStream storage) refuses more, or None. A limit of
    0 or less means none."""
    if max_bytes > 0 and used_bytes >= FULL_RATIO * max_bytes:
        return f"stream penuh: {used_bytes} dari {max_bytes} byte / stream full"
    if max_msgs > 0 and used_msgs >= FULL_RATIO * max_msgs:
        return f"stream penuh: {used_msgs} dari {max_msgs} pesan / stream full"
    return None


def disk_full(folder: Path) -> tuple[int, str | None]:
    """Free bytes where the data folder lives, and why that is too little (or None)."""
    target = folder
    while not target.exists() and target != target.parent:
        target = target.parent
    usage = shutil.disk_usage(target)
    if usage.free < DISK_MIN_FREE_BYTES:
        return usage.free, (f"disk data hampir penuh: sisa {usage.free // (1024 * 1024)} MB di "
                            f"{target} / data disk nearly full")
    return usage.free, None


async def check_bus(js, stream: str, progress: ConsumerProgress) -> tuple[dict[str, str], dict]:
    """Problems of the stream and of every durable consumer on it (name -> why), and the
    figures for /metrics."""
    problems: dict[str, str] = {}
    info = await js.stream_info(stream)
    state, config = info.state, info.config
    why = stream_full(state.bytes or 0, config.max_bytes or 0, state.messages or 0,
                      config.max_msgs or 0)
    account = await js.account_info()
    limits = account.limits
    why = why or stream_full(account.storage or 0, getattr(limits, "max_storage", 0) or 0)
    if why:
        problems["stream"] = why
    stalled: dict[str, bool] = {}
    for consumer in await js.consumers_info(stream):
        name = consumer.name
        floor = consumer.ack_floor.stream_seq if consumer.ack_floor else 0
        pending = (consumer.num_pending or 0) + (consumer.num_ack_pending or 0)
        reason = progress.stalled(name, floor or 0, pending)
        stalled[name] = reason is not None
        if reason:
            problems[f"consumer:{name}"] = reason
    return problems, {"stream_full": bool(why), "consumers_stalled": stalled}
