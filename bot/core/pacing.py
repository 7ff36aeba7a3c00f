"""Pacing below the platforms' published limits, so a healthy broadcast never sees a 429.

Each send reserves a slot with GCRA-style "theoretical arrival times" per chat (1/s for a Telegram private
chat, 20/min for a group or channel, 1/s for a Slack channel); a reservation never blocks other chats: a slow
group only pushes its own slots back.

The platform-wide limit (Telegram's 30 messages in any second) is kept whatever the delays between this process
and the platform, up to half a window: the platform counts a message at some moment between the request leaving
and its answer coming back. So a message leaves only when fewer than the limit were answered within the last
window or are still on their way. A message that lingered (a pause of the platform, a slow network) keeps its
place in the window until its answer arrives, instead of letting the ones behind it bunch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Limits:
    """Minimum spacing between two messages, in seconds (already scaled), and the bursts a chat allows.

    A chat takes at most ``*_burst`` messages in any ``burst × spacing`` seconds: a three-part answer leaves at
    once, while the long-run rate stays at one message per spacing.
    """

    overall: float  # between any two messages on the platform (0: no overall limit)
    private_chat: float
    group_chat: float
    private_burst: int = 1
    group_burst: int = 1
    overall_count: int = 0  # at most this many messages counted by the platform in any ``overall_window``
    overall_window: float = 0.0

    def scaled(self, factor: float) -> Limits:
        """The same limits with windows multiplied by ``factor`` (tests and benchmarks shrink time)."""
        return replace(
            self,
            overall=self.overall * factor,
            overall_window=self.overall_window * factor,
            private_chat=self.private_chat * factor,
            group_chat=self.group_chat * factor,
        )


# A safety margin under the published per-chat figures: a chat's slots are booked ahead, so jitter between
# our clock and the platform's must not tip them over. (The overall limit needs none: see the module's text.)
MARGIN = 1.04
# Telegram: 30/s overall; about 1/s in a private chat with short bursts; 20/min in a group.
# Slack: about 1/s per channel with short bursts.
TELEGRAM = Limits(
    1 / 30, MARGIN * 1.0, MARGIN * 3.0, private_burst=3, group_burst=20, overall_count=30, overall_window=1.0
)
SLACK = Limits(0.0, MARGIN * 1.0, MARGIN * 1.0, private_burst=3, group_burst=3)
UNLIMITED = Limits(0.0, 0.0, 0.0)
# How long a message awaiting its answer counts as possibly not yet counted by the platform (see PlatformWindow):
# half the platform's window, and never less than a quarter of a second, as delays are real time however much
# tests and benchmarks shrink the windows.
HOLD, MIN_HOLD = 0.5, 0.25
DEFAULT_LIMITS = {"telegram": TELEGRAM, "slack": SLACK}


def is_group(platform: str, chat_id: str) -> bool:
    """Telegram groups and channels have negative ids; Slack DMs start with D."""
    if platform == "telegram":
        return chat_id.startswith("-")
    if platform == "slack":
        return not chat_id.startswith("D")
    return False


class PriorityGate:
    """One holder at a time; the waiter with the lowest priority number goes next, then the earliest."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @contextlib.asynccontextmanager
    async def turn(self, priority: int) -> AsyncIterator[None]:
        """Hold the gate for the block, once every more urgent (or earlier, equally urgent) waiter had it."""
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: int) -> None:
        if not self._held and not self._waiting:
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._arrivals), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed the gate as it was cancelled: pass it on
                self._release()
            raise

    def _release(self) -> None:
        while self._waiting:
            _priority, _arrival, waiter = heapq.heappop(self._waiting)
            if not waiter.done():  # a cancelled waiter is skipped
                waiter.set_result(None)  # handed over: the gate stays held
                return
        self._held = False


@dataclass
class Pacer:
    """Hands out send times that respect per-chat spacing, and gates departures per platform.

    Per-chat slots are booked ahead (different chats never wait for each other). The platform-wide
    spacing is measured between actual departures instead: if the event loop was busy and a send
    leaves late, the next one still waits a full interval, so a lag never turns into a burst.
    """

    limits: dict[str, Limits] = field(default_factory=dict)
    _chat_booked: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _chat_hold: dict[tuple[str, str], float] = field(default_factory=dict)  # after a 429: not before
    _platform_next: dict[str, float] = field(default_factory=dict)
    _gates: dict[str, PriorityGate] = field(default_factory=dict)
    _slowdown: dict[str, tuple[float, float]] = field(default_factory=dict)  # platform → (factor, until)
    _windows: dict[str, PlatformWindow] = field(default_factory=dict)

    def reserve(self, platform: str, chat_id: str, now: float) -> float:
        """The earliest time a message to ``chat_id`` may go, and book it for that chat.

        At most ``burst`` messages fall in any ``burst × gap`` window, in the order they were booked.
        """
        limits = self.limits.get(platform, UNLIMITED)
        group = is_group(platform, chat_id)
        gap = (limits.group_chat if group else limits.private_chat) * self._factor(platform, now)
        burst = max(1, limits.group_burst if group else limits.private_burst)
        booked = self._chat_booked.setdefault((platform, chat_id), deque(maxlen=burst))
        at = max(now, booked[-1] if booked else now, self._chat_hold.get((platform, chat_id), 0.0))
        if len(booked) == burst:
            at = max(at, booked[0] + burst * gap)
        booked.append(at)
        return at

    @contextlib.asynccontextmanager
    async def sending(self, platform: str, priority: int = 0) -> AsyncIterator[None]:
        """Leave in turn (see :meth:`_depart`), and count the message in the platform's window until answered.

        The block is the platform call: its end is when the platform's answer came back.
        """
        counted = await self._depart(platform, priority)
        if counted is None:
            yield
            return
        window, departure = counted
        try:
            yield
        finally:
            window.answered(departure, asyncio.get_running_loop().time())

    async def _depart(self, platform: str, priority: int) -> tuple[PlatformWindow, float] | None:
        """Wait for the platform-wide spacing since the previous departure and room in its window, then leave.

        Messages waiting for the platform leave most urgent first (lower ``priority``), in arrival order within
        a priority: a person's confirmation does not queue behind hundreds of routine count edits.

        Returns:
            The platform's window, where the message is now counted, and its departure (for
            :meth:`PlatformWindow.answered`); None when the platform has no window.
        """
        limits = self.limits.get(platform, UNLIMITED)
        if not limits.overall and not limits.overall_count:
            return None
        loop = asyncio.get_running_loop()
        counted: tuple[PlatformWindow, float] | None = None
        async with self._gates.setdefault(platform, PriorityGate()).turn(priority):
            window = None
            if limits.overall_count:
                window = self._windows.setdefault(
                    platform, PlatformWindow(limits.overall_count, limits.overall_window)
                )
                await window.room(self._factor(platform, loop.time()))
            slot = self._platform_next.get(platform, 0.0)
            if slot > loop.time():
                await asyncio.sleep(slot - loop.time())
            now = loop.time()
            interval = limits.overall * self._factor(platform, now)
            # A sleep overshoots by a little: keep to the schedule then, but never catch up a real lag.
            base = slot if now - slot < interval / 2 else now
            self._platform_next[platform] = base + interval
            if window is not None:  # counted before the next message may look for room
                counted = window, window.leave(now)
        return counted

    def release(self, platform: str, chat_id: str, not_before: float) -> None:
        """Nothing more to a chat before ``not_before`` (after a 429's retry-after)."""
        key = (platform, chat_id)
        self._chat_hold[key] = max(self._chat_hold.get(key, 0.0), not_before)

    def slow_down(self, platform: str, now: float, period: float, factor: float = 2.0) -> None:
        """After a 429, space a platform's messages ``factor`` times wider for ``period`` seconds."""
        self._slowdown[platform] = (factor, now + period)

    def _factor(self, platform: str, now: float) -> float:
        factor, until = self._slowdown.get(platform, (1.0, 0.0))
        return factor if now < until else 1.0


class PlatformWindow:
    """The platform's sliding window as this process can know it: each message counts from the moment it leaves
    until its answer is back (the platform counted it somewhere in between), then for one more window.

    A message counts as on its way for at most ``hold`` seconds: a process too busy to read its answers would
    otherwise slow every send down with it. Delays on the way up to that long never tip the platform over.
    """

    def __init__(self, count: int, window: float) -> None:
        self.count, self.window = count, window
        self.hold = max(HOLD * window, MIN_HOLD)
        self._on_the_way: list[float] = []  # when each message still awaiting its answer left
        self._counted: list[float] = []  # until when each answered message may have been counted
        self._changed = asyncio.Event()

    def leave(self, now: float) -> float:
        """A message is on its way; returns its departure, to give back to :meth:`answered`."""
        self._on_the_way.append(now)
        return now

    def answered(self, departure: float, now: float) -> None:
        """The answer to the message that left at ``departure`` came back at ``now``."""
        self._on_the_way.remove(departure)
        self._counted.append(min(now, departure + self.hold))
        self._changed.set()

    async def room(self, factor: float = 1.0) -> None:
        """Wait until one more message cannot make the platform count more than its limit in any window.

        ``factor`` widens the window after a 429 (another sender on the same account, or a stricter platform).
        """
        loop = asyncio.get_running_loop()
        window, hold = self.window * factor, self.hold
        while True:
            now = loop.time()
            self._counted = [until for until in self._counted if until > now - window]
            # Until when each message may still be counted (those on their way: at most their hold).
            ends = self._counted + [left + hold for left in self._on_the_way if left + hold > now - window]
            if len(ends) < self.count:
                return
            self._changed.clear()
            # The earliest leaves the window then; an answer coming back may free room sooner.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(ends) + window - now)
