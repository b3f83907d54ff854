"""What a service package declares, so the runtime can run any of them the same way.

Each `lpse_helpdesk/services/<name>/__init__.py` exports `SERVICE = ServiceDefinition(...)`:
its tables, how to build its application object from a `ServiceContext`, the tracked consumers
it runs and the HTTP routes it serves. The runtime does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..settings import Settings
from .consumer import Handler
from .store import ServiceStore


@dataclass(frozen=True)
class ConsumerSpec:
    name: str  # durable consumer name, unique on the stream
    subject: str  # NATS subject filter
    handler: Handler


@dataclass
class ServiceContext:
    settings: Settings
    store: ServiceStore
    standards: dict[str, Any] = field(default_factory=dict)  # tenant -> UnitStandard


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    build: Callable[[ServiceContext], Any]
    tables: Sequence[str] = ()
    consumers: Callable[[Any], Sequence[ConsumerSpec]] = lambda app: ()
    routes: Callable[[Any], Sequence[Any]] = lambda app: ()
