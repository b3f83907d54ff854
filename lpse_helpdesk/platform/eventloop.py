"""One way to run the helpdesk's event loop: uvloop where it is installed, else asyncio's own.

Why: py-spy on the front under load (docs/performance.md) showed the interpreter as
the limit, with asyncio's pure-Python loop (selector, handles, transports) a visible share of
it. uvloop is a drop-in loop in C; nothing in the helpdesk depends on which loop runs it.
It is a dependency except on Windows, where it does not exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it is there."""
    try:
        import uvloop
    except ImportError:  # Windows, or installed without it
        return asyncio.run(main)
    return uvloop.run(main)
