"""The composition root: settings, unit standards and services are put together here only.

Every door builds what it runs with these functions: `up` and `run` (through the runtime, which
adds the bus, the clock and the token signer), and the operator commands (dead letters,
webhooks, rebuild, users) that open one service offline. So a service is built one way,
whichever door starts it (the idea of Cosmic Python's `bootstrap.py`).

The platform's HTTP and bus parts (Litestar, faststream) are imported when a service is built,
not with this module: `cli` imports it for every command, and `--help` or `standards check`
should not wait seconds for them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .platform.store import ServiceStore
from .settings import Settings
from .standards import UnitStandard, load_standards

if TYPE_CHECKING:
    from faststream.nats import NatsBroker

    from .platform.auth import TokenSigner
    from .platform.service import ServiceDefinition

Standards = Mapping[str, UnitStandard]  # by tenant


def settings_from(args: argparse.Namespace) -> Settings:
    """The environment's settings (`HELPDESK_*`), with the command line's flags over them."""
    return Settings.from_env(
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        nats_url=getattr(args, "nats", None),
        database_url=getattr(args, "database", None),
        http_port=getattr(args, "http_port", None),
        smtp_port=getattr(args, "smtp_port", None),
        nats_port=getattr(args, "nats_port", None),
        http_host=getattr(args, "http_host", None),
        stream_replicas=getattr(args, "stream_replicas", None),
    )


def unit_standards(settings: Settings) -> dict[str, UnitStandard]:
    """Every unit's standard, from `settings.standards_dir` (the shipped ones by default)."""
    return load_standards(settings.standards_dir)


_keystores: dict[str, Any] = {}  # by where the keys live: one store per place and process


def use_keystore(settings: Settings) -> None:
    """The codec of this process seals and opens personal data with the keys of `settings`'
    data folder (or PostgreSQL database) from now on. Every door that builds a service or
    opens a store comes through here, so none can write personal data in clear."""
    from .platform.keystore import open_keystore
    from .schemas import sealing

    if sealing.is_pinned():  # one store for the whole process (a test session)
        return
    where = settings.database_url if settings.uses_postgres else str(settings.data_dir.resolve())
    store = _keystores.get(where)
    if store is None:
        store = _keystores[where] = open_keystore(settings)
    sealing.use_keystore(store)


def open_store(service: ServiceDefinition[Any], settings: Settings) -> ServiceStore:
    """The service's store with its tables: enough for commands that only read or write rows."""
    use_keystore(settings)
    return ServiceStore(service.name, settings, service.tables)


@dataclass(frozen=True)
class BuiltService:
    definition: ServiceDefinition[Any]
    store: ServiceStore
    app: Any  # the service's application object (its own type per service)


def build_service(
    service: ServiceDefinition[Any],
    settings: Settings,
    standards: Standards,
    *,
    store: ServiceStore | None = None,
    now: Callable[[], datetime] | None = None,  # default: the wall clock
    signer: TokenSigner | None = None,
    broker: NatsBroker | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> BuiltService:
    """The service's application on its store (opened here unless given). Without `broker`
    it is offline: it decides and records, and its outbox publishes once it runs again."""
    from .platform.service import ServiceContext, utc_now

    use_keystore(settings)
    opened = store if store is not None else open_store(service, settings)
    try:
        app = service.build(ServiceContext(settings, opened, standards, now or utc_now, signer,
                                           broker, loop))
    except BaseException:
        if store is None:
            opened.close()
        raise
    return BuiltService(service, opened, app)


@contextmanager
def offline_service(name: str, settings: Settings,
                    standards: Standards | None = None) -> Iterator[BuiltService]:
    """One service built without the bus, for an operator command; its store is closed at the
    end of the block."""
    from .services import definition

    built = build_service(definition(name), settings,
                          unit_standards(settings) if standards is None else standards)
    try:
        yield built
    finally:
        built.store.close()
