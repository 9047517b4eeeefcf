"""A sliding-window counter of events, for limits kept inside one object (a socket).

Shared limits (one user's sockets in every process) live in the app's store instead
(`forum.lib.tallies`); this one costs a deque and no I/O, for what one connection does.
"""

from __future__ import annotations

import time
from collections import deque


class SlidingWindow:
    """At most `limit` events in any `seconds`; `take` records one or says how long to wait."""

    __slots__ = ("_times", "limit", "seconds")

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._times: deque[float] = deque()

    def wait(self, now: float | None = None) -> float | None:
        """None if one more event is allowed now, else the seconds until it is."""
        now = time.monotonic() if now is None else now
        times = self._times
        while times and now - times[0] >= self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return self.seconds - (now - times[0])
        return None

    def record(self, now: float | None = None) -> None:
        self._times.append(time.monotonic() if now is None else now)

    def take(self, now: float | None = None) -> float | None:
        """Record an event and return None, or return the seconds until one is allowed
        (recording nothing)."""
        now = time.monotonic() if now is None else now
        wait = self.wait(now)
        if wait is None:
            self.record(now)
        return wait
