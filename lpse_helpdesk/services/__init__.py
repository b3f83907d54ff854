"""The services. Each package has the same layout: `application.py` (decisions),
`http.py` (HTTP entrypoint, if any), and `__init__.py` exporting `SERVICE`."""

from __future__ import annotations

import importlib

from ..platform.service import ServiceDefinition

NAMES = ("intake", "triage", "escalation", "desk", "notify", "faq_publisher", "web")


def definition(name: str) -> ServiceDefinition:
    if name not in NAMES:
        raise KeyError(f"layanan `{name}` tidak dikenal; pilih salah satu: {', '.join(NAMES)}")
    return importlib.import_module(f"{__name__}.{name}").SERVICE


def all_definitions() -> list[ServiceDefinition]:
    return [definition(name) for name in NAMES]
