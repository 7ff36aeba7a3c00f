"""Waking idle outbox workers with PostgreSQL ``LISTEN/NOTIFY`` instead of waiting for the next poll.

Whoever queues deliveries issues ``pg_notify`` in the same transaction (``storage.outbox.notify_queued``), so the
notification leaves when the rows become visible, on commit, and not before. Each worker process listens on
a dedicated asyncpg connection (a pooled one would be handed to other work between statements). The poll
stays as the fallback: rows made due by time (retries) or queued while the listener reconnects are found by
it, and SQLite, which has no notifications, polls only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Any

from bot.core.locks import connect
from storage.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

KEEPALIVE = 30.0  # seconds between two checks that the listening connection still answers


async def wait_any(*events: asyncio.Event, timeout: float) -> None:
    """Return when one of ``events`` is set, or after ``timeout`` seconds."""
    if any(event.is_set() for event in events):
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


class Listener:
    """Listens for queued deliveries of ``platforms`` (all when None) and wakes the worker waiting in :meth:`wait`.

    Args:
        url: the store's SQLAlchemy URL (PostgreSQL).
        platforms: notifications naming another platform are ignored (another worker delivers it).
    """

    def __init__(self, url: str, platforms: Collection[str] | None = None) -> None:
        self._url = url
        self._platforms = None if platforms is None else frozenset(platforms)
        self._woken = asyncio.Event()
        self.listening = False
        self.notifications = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``; raises when the connection is lost (run it under ``supervise``)."""
        connection = await connect(self._url)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(NOTIFY_CHANNEL, self._on_notify)
            self.listening = True
            self._woken.set()  # rows queued while nobody listened are looked for once
            log.info("outbox: listening for notifications")
            while not stop.is_set() and not lost.is_set():
                await wait_any(stop, lost, timeout=KEEPALIVE)
                if not stop.is_set() and not lost.is_set():
                    await connection.fetchval("SELECT 1")  # a half-open connection raises here
            if lost.is_set():
                raise ConnectionError("the listening connection was closed")
        finally:
            self.listening = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)

    async def wait(self, stop: asyncio.Event, timeout: float) -> None:
        """Wait for a notification (or ``stop``) at most ``timeout`` seconds: the poll is the fallback."""
        await wait_any(self._woken, stop, timeout=timeout)
        self._woken.clear()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if self._platforms is None or payload in self._platforms:
            self.notifications += 1
            self._woken.set()
