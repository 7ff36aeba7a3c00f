"""Sliding-window counters the emulators use to enforce the platforms' published rate limits."""

from __future__ import annotations

from collections import deque


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more event is allowed (0 when it is allowed now)."""
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self.window - (now - self._times[0])

    def add(self, now: float) -> None:
        """Count an event at ``now``."""
        self._times.append(now)
