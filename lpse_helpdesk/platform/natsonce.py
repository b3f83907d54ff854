"""One NATS connection for an operator command (`users disable`, `dead-letters replay`).

Outside the runtime nothing should retry forever: an unreachable NATS must fail within a few
seconds, said once by the command, so that the operator can give the right `--nats`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from nats.aio.client import Client

from .bus import command_connection, tls_for


@contextlib.asynccontextmanager
async def connection(nats_url: str, ca_file: Path | None = None,
                     timeout: float = 5.0) -> AsyncIterator[Client]:
    async with command_connection(nats_url, tls_for(ca_file), timeout) as client:
        yield client
