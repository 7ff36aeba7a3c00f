"""Keeping long-running tasks alive: capped backoff, a heartbeat, and restart after any exception.

A task that dies on one database error and is never noticed is the worst failure a delivery engine can
have: nothing is sent and nothing says so. Everything that runs for the life of the process (the outbox
worker, periodic jobs) runs under :func:`supervise`, which logs the exception's kind only (never its
message: it may carry a DSN or a row's content), waits a little longer after each consecutive failure, and
starts the task again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Capped exponential waits: ``base``, ``2·base``, … up to ``cap`` seconds, reset after a success."""

    base: float = 0.5
    cap: float = 30.0
    failures: int = 0

    def next(self) -> float:
        """Count one more failure and return how long to wait before trying again."""
        self.failures += 1
        return min(self.cap, self.base * 2 ** (self.failures - 1))

    def reset(self) -> None:
        """A success: the next failure waits ``base`` again."""
        self.failures = 0


@dataclass
class Heartbeat:
    """When a task last proved it was working (monotonic clock); read by ``/healthz`` and ``/metrics``."""

    last: float = field(default_factory=time.monotonic)
    running: bool = False

    def beat(self) -> None:
        """The task completed one round of its work."""
        self.last = time.monotonic()

    def age(self) -> float:
        """Seconds since the last beat."""
        return time.monotonic() - self.last


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))


async def supervise(
    name: str,
    factory: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    backoff: Backoff | None = None,
    heartbeat: Heartbeat | None = None,
) -> None:
    """Run ``factory()`` until ``stop`` is set, starting it again after it raises or returns early.

    Args:
        name: the task's name in logs.
        factory: makes a fresh coroutine each time (the previous one is finished).
        stop: set to end supervision; a task that returns after ``stop`` is set is not started again.
        backoff: the waits between restarts (0.5 s doubling up to 30 s by default).
        heartbeat: marked not running while the task is down, so health checks can tell.
    """
    backoff = backoff or Backoff()
    while not stop.is_set():
        if heartbeat is not None:
            heartbeat.running = True
        try:
            await factory()
            backoff.reset()
            if stop.is_set():
                break
            wait = backoff.base
            log.warning("%s returned while it should run; starting it again", name)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            wait = backoff.next()
            log.error("%s failed (%s); starting it again in %.1f s", name, type(error).__name__, wait)
        finally:
            if heartbeat is not None:
                heartbeat.running = False
        await pause(stop, wait)


async def every(
    name: str,
    interval: float,
    job: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    backoff: Backoff | None = None,
    heartbeat: Heartbeat | None = None,
    lock: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Run ``job`` now and then every ``interval`` seconds until ``stop``, surviving its failures.

    A failed run is retried after the supervisor's backoff (sooner than ``interval`` at first), so a job
    that failed during a database outage runs again within seconds of the database coming back.

    With ``lock`` (several processes on one PostgreSQL: the job's advisory lock, see
    :class:`bot.core.locks.Locks`), a round runs only while ``lock()`` says this process holds the job; the
    others look again every ``interval``, so the job runs once per interval across processes, and a peer
    takes it over when its runner dies.
    """
    waits = backoff or Backoff()
    runs_here: bool | None = None

    async def rounds() -> None:
        nonlocal runs_here
        while not stop.is_set():
            if lock is not None:
                held = await lock()
                if held != runs_here:
                    runs_here = held
                    where = "this process" if held else "another process"
                    log.info("periodic job %s: run by %s", name, where)
                if not held:
                    await pause(stop, interval)
                    continue
            await job()
            log.debug("periodic job %s ran", name)
            waits.reset()
            if heartbeat is not None:
                heartbeat.beat()
            await pause(stop, interval)

    await supervise(name, rounds, stop, backoff=waits, heartbeat=heartbeat)
