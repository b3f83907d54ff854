"""Counting per client in a sliding window, for the rate limits and quotas of every door.

The `limits` library's in-memory storage was tried first and measured: it starts a new timer
thread every 10 ms while requests come, to expire old entries, and at the bench's load that
thread's share of the interpreter cost the front a quarter of its tickets/s. This is the
sliding-window counter (the current fixed window plus the previous one, weighted by how much
of it still lies inside the window): two integers a key, no thread, no lock, because every
caller runs on the event loop's thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class SlidingWindow:
    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._counts: dict[tuple, tuple[int, int, int]] = {}  # key -> (window, current, previous)
        self._hits = 0

    def _state(self, key: tuple, now: float) -> tuple[int, int, int]:
        window = int(now // self.seconds)
        found = self._counts.get(key)
        if found is None or found[0] < window - 1:
            return window, 0, 0
        if found[0] == window - 1:
            return window, 0, found[1]
        return found

    def hit(self, *key, cost: int = 1) -> bool:
        """Count `cost` for `key` if it stays within the limit; False (counting nothing) if not."""
        now = self.clock()
        window, current, previous = self._state(key, now)
        share_of_previous = 1 - (now % self.seconds) / self.seconds
        if previous * share_of_previous + current + cost > self.limit:
            self._counts[key] = (window, current, previous)
            return False
        self._counts[key] = (window, current + cost, previous)
        self._hits += 1
        if self._hits % 1024 == 0:
            self._forget_old(window)
        return True

    def retry_after(self) -> int:
        """Seconds until the current window ends (a refused client may then try again)."""
        return max(1, math.ceil(self.seconds - self.clock() % self.seconds))

    def _forget_old(self, window: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[0] >= window - 1}
