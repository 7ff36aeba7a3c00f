"""Direct answers to the person who just acted: paced with the outbox's budget, retried, never dropped.

A reply leaves at once when its chat and platform have room; otherwise it waits its turn in the same
:class:`~bot.core.pacing.Pacer` the outbox worker uses, so a burst of button presses cannot push the platform
over its published limits. A 429 waits the platform's ``retry_after`` and tries again; transient failures are
retried with a short backoff; a message that still cannot leave is handed to the outbox (durable, retried
until delivered) instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import metrics
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import OutgoingMessage
from bot.core.outbox_api import Outbox
from bot.core.pacing import Pacer
from storage.outbox import REPLY_SUBJECT, URGENT, Target

log = logging.getLogger(__name__)
T = TypeVar("T")
RATE_LIMIT_BUDGET = 120.0  # seconds of retry_after a reply may wait in total before it goes to the outbox
TRANSIENT_ATTEMPTS = 3
SLOWDOWN_PERIOD = 5.0  # after a 429 the platform's spacing widens briefly, then recovers
# A person who just acted is answered before queued rows of lower rank (count edits, broadcasts), with urgent ones.
REPLY_PRIORITY = URGENT


class ReplySender:
    """Paces and retries direct replies; hands what cannot leave to the outbox.

    Args:
        pacer: the process's pacer, shared with the outbox worker.
        sessions: the store, for the outbox fallback.
        time_scale: multiplies waits (tests and benchmarks shrink time as the emulators do).
    """

    def __init__(
        self, pacer: Pacer, sessions: async_sessionmaker[AsyncSession], time_scale: float = 1.0
    ) -> None:
        self.pacer = pacer
        self.sessions = sessions
        self.time_scale = time_scale

    async def _chat_turn(self, platform: str, chat_id: str) -> None:
        """Wait until a message to ``chat_id`` may leave by its chat's limits, and take that slot."""
        loop = asyncio.get_running_loop()
        at = self.pacer.reserve(platform, chat_id, loop.time())
        if at > loop.time():
            await asyncio.sleep(at - loop.time())

    async def call(self, platform: str, chat_id: str, perform: Callable[[], Awaitable[T]]) -> T:
        """Run one platform call in its turn, retrying 429s and transient failures.

        Raises:
            DeliveryError: the platform refused for good, or kept failing.
        """
        waited, attempts = 0.0, 0
        while True:
            await self._chat_turn(platform, chat_id)
            try:
                async with self.pacer.sending(platform, REPLY_PRIORITY):
                    return await perform()
            except DeliveryError as error:
                loop = asyncio.get_running_loop()
                if error.kind is FailureKind.RATE_LIMITED and waited < RATE_LIMIT_BUDGET:
                    metrics.labelled(metrics.PLATFORM_ERRORS, platform, error.kind.value).inc()
                    wait = (error.retry_after or 1.0) * self.time_scale
                    waited += error.retry_after or 1.0
                    self.pacer.release(platform, chat_id, loop.time() + wait)
                    self.pacer.slow_down(platform, loop.time(), SLOWDOWN_PERIOD * self.time_scale)
                    continue
                attempts += 1
                if error.kind is FailureKind.TRANSIENT and attempts < TRANSIENT_ATTEMPTS:
                    await asyncio.sleep(0.5 * 2 ** (attempts - 1) * self.time_scale)
                    continue
                raise

    async def to_outbox(self, message: OutgoingMessage, language: str) -> None:
        """Queue a reply that could not leave directly; the worker delivers it like an urgent alert."""
        if message.attachments:  # files do not fit an outbox row: say so rather than drop them quietly
            log.error("reply with files on %s could not be delivered", message.chat.platform)
            return
        chat = message.chat
        target = Target(chat.platform, chat.chat_id, language, chat.workspace, chat.kind)
        async with self.sessions() as session, session.begin():
            await Outbox(session).send(
                f"{REPLY_SUBJECT}{id(message)}:{asyncio.get_running_loop().time():.6f}",
                target,
                message.text,
                message.buttons,
                priority=URGENT,
                reply_to=message.reply_to,
            )
        log.warning("reply on %s handed to the outbox", chat.platform)
