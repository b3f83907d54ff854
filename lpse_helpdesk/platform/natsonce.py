"""One NATS connection for an operator command (`users disable`, `dead-letters replay`).

Outside the runtime nothing should retry forever: an unreachable NATS must fail within a few
seconds, said once by the command, so that the operator can give the right `--nats`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import nats
from nats.aio.client import Client

from .bus import nats_servers, tls_for


@contextlib.asynccontextmanager
async def connection(nats_url: str, ca_file: Path | None = None,
                     timeout: float = 5.0) -> AsyncIterator[Client]:
    async def failed(_error) -> None:  # said once, by the caller, not by nats-py's logger
        pass

    # nats-py keeps trying a refused server however reconnects are set: the deadline ends it.
    client = await asyncio.wait_for(nats.connect(
        nats_servers(nats_url), connect_timeout=timeout, allow_reconnect=False,
        max_reconnect_attempts=1, reconnect_time_wait=0.2, error_cb=failed,
        tls=tls_for(ca_file)), timeout)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.close()
