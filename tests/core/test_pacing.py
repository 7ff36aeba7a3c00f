"""The platform-wide limit holds whatever the delays between the bot and the platform."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.adapters.emulators.limits import SlidingWindow
from bot.core.pacing import TELEGRAM, Pacer, PlatformWindow

SCALE = 0.05  # Telegram's 30 messages in any second become 30 in any 50 ms


async def broadcast(pacer: Pacer, messages: int, delay: Callable[[float], float]) -> tuple[int, float]:
    """Send ``messages`` through the pacer to a platform that counts each one ``delay(now)`` seconds after it
    left and answers as long after; returns the refusals the platform's sliding window made, and the time taken."""
    platform = SlidingWindow(30, TELEGRAM.overall_window * SCALE)
    loop = asyncio.get_running_loop()
    refused = 0

    async def send() -> None:
        nonlocal refused
        async with pacer.sending("telegram"):
            await asyncio.sleep(delay(loop.time()))
            now = loop.time()
            if platform.wait(now) > 0:
                refused += 1
            else:
                platform.add(now)
            await asyncio.sleep(delay(now))

    started = loop.time()
    await asyncio.gather(*(send() for _ in range(messages)))
    return refused, loop.time() - started


async def test_a_platform_that_pauses_refuses_none() -> None:
    """The platform stops counting for 20 ms in every 70 (a garbage collection, a busy network): what arrives
    meanwhile is counted at once when it resumes, and what follows must not bunch up against it."""

    def delay(now: float) -> float:
        into_cycle = now % 0.07
        return 0.02 - into_cycle if into_cycle < 0.02 else 0.0005

    refused, seconds = await broadcast(Pacer({"telegram": TELEGRAM.scaled(SCALE)}), 300, delay)
    assert refused == 0
    assert seconds >= 300 / 30 * SCALE * 0.95  # and it never went faster than the limit


async def test_without_delays_the_broadcast_keeps_close_to_the_allowed_rate() -> None:
    refused, seconds = await broadcast(Pacer({"telegram": TELEGRAM.scaled(SCALE)}), 300, lambda _now: 0.0)
    assert refused == 0
    lower_bound = (300 - 30) / 30 * SCALE  # the first 30 may leave within the first window
    assert lower_bound <= seconds


async def test_a_message_whose_answer_never_comes_stops_holding_a_place_after_its_hold() -> None:
    """A process too busy to read its answers must not slow every later send down with it."""
    window = PlatformWindow(count=2, window=1.0)
    now = asyncio.get_running_loop().time()
    window.leave(
        now - 1.6
    )  # on its way for longer than its hold (half a window) plus a window: no longer counted
    window.leave(now - 0.2)  # still counted
    await asyncio.wait_for(window.room(), 0.5)  # one place of two is taken: room at once
    window.leave(now)
    with pytest.raises(TimeoutError):  # both places taken until the earlier one's hold ends
        await asyncio.wait_for(window.room(), 0.05)
