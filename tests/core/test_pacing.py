"""The platform-wide limit holds whatever the delays between the bot and the platform."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.adapters.emulators.limits import SlidingWindow
from bot.core.pacing import TELEGRAM, Pacer

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
