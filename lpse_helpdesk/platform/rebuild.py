"""Rebuilding a service's read models from the stream.

For each consumer that declares the tables it projects into: empty them, forget the consumer's
tracking, and delete its durable JetStream consumer; the service's next start creates the
consumer again from the first message and replays everything. Run it with the service stopped.
Only pure projections declare tables: replaying a consumer that also decides (sends mail,
reopens tickets) would decide again.
"""

from __future__ import annotations

import nats
from nats.js.errors import NotFoundError

from ..schemas import STREAM
from .bus import nats_servers
from .service import ConsumerSpec
from .store import ServiceStore, Write


def reset_tables(store: ServiceStore, specs: list[ConsumerSpec]) -> list[str]:
    tracking = store._tracking_table  # noqa: SLF001 - the store owns that name
    writes, names = [], []
    for spec in specs:
        writes += [Write(f"DELETE FROM {store.prefix}_{table}") for table in spec.rebuild_tables]
        writes.append(Write(f"DELETE FROM {tracking} WHERE application_name = ?", (spec.name,)))
        names.append(spec.name)
    store.execute(writes)
    return names


async def delete_consumers(nats_url: str, names: list[str]) -> None:
    nc = await nats.connect(nats_servers(nats_url), connect_timeout=5)
    try:
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_consumer(STREAM, name)
            except NotFoundError:
                pass
    finally:
        await nc.close()
