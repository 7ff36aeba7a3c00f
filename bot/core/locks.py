"""Advisory locks: one owner at a time for what must not run twice across the processes of one PostgreSQL store.

Several ``sosbot`` processes may share a PostgreSQL database (web processes, workers, or several ``run``).
Some things must have exactly one owner among them: a platform's rate budget (one process delivers
Telegram's rows, so Telegram's 30 messages a second hold for all of them together), each periodic job, and
Telegram long polling. Each is a PostgreSQL session-level advisory lock held on one dedicated connection per
process (not a pooled one: a lock belongs to its connection). When a process dies, or its connection does,
PostgreSQL releases its locks and a peer takes them over on its next try; nothing has to be cleaned up.

On SQLite there is only one process (the embedded default) and every lock is granted at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Collection
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def is_postgres(url: str) -> bool:
    """Whether ``url`` (a SQLAlchemy URL) names a PostgreSQL database."""
    return make_url(url).get_backend_name() == "postgresql"


def asyncpg_dsn(url: str) -> str:
    """The libpq-style DSN asyncpg takes, from the SQLAlchemy URL ``postgresql+asyncpg://...``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name`` (the same in every process and release)."""
    digest = hashlib.blake2b(f"sosbot:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def connect(url: str) -> Any:
    """A dedicated asyncpg connection to the store at ``url`` (outside SQLAlchemy's pool)."""
    import asyncpg

    return await asyncpg.connect(asyncpg_dsn(url), timeout=10)


@contextlib.asynccontextmanager
async def exclusive(url: str, name: str) -> AsyncIterator[None]:
    """Wait for, then hold, the lock ``name`` while the block runs (e.g. migrating at start); SQLite: no lock."""
    if not is_postgres(url):
        yield
        return
    connection = await connect(url)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", lock_key(name))
        yield
    finally:
        await connection.close()  # ends the session, which releases the lock


class Locks:
    """The advisory locks this process holds, on its own connection (every lock granted on SQLite).

    Args:
        url: the store's SQLAlchemy URL.
    """

    def __init__(self, url: str) -> None:
        self.shared = is_postgres(url)
        self._url = url
        self._connection: Any = None
        self._held: set[str] = set()
        self._mutex = asyncio.Lock()

    def holds(self, name: str) -> bool:
        """Whether this process holds ``name`` now, as far as it knows without asking the server."""
        if not self.shared:
            return True
        if self._connection is None or self._connection.is_closed():
            self._held.clear()  # the session is gone, and its locks with it
        return name in self._held

    async def acquire(self, name: str) -> bool:
        """Take ``name`` if nobody holds it; True when this process holds it (already or now).

        Never raises: a store that does not answer means this process holds nothing (logged by kind).
        """
        if not self.shared:
            return True
        async with self._mutex:
            if self.holds(name):
                return True
            try:
                connection = await self._connect()
                got = bool(await connection.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(name)))
            except Exception as error:
                await self._lost(error)
                return False
            if got:
                self._held.add(name)
            return got

    async def release(self, name: str) -> None:
        """Give ``name`` up (a peer may take it on its next try)."""
        if not self.shared or name not in self._held:
            return
        async with self._mutex:
            self._held.discard(name)
            try:
                await self._connection.execute("SELECT pg_advisory_unlock($1)", lock_key(name))
            except Exception as error:
                await self._lost(error)

    async def check(self) -> None:
        """Ask the server whether the lock connection is alive; when it is not, forget every lock held."""
        if not self.shared or self._connection is None:
            return
        async with self._mutex:
            try:
                await self._connection.fetchval("SELECT 1")
            except Exception as error:
                await self._lost(error)

    async def close(self) -> None:
        """Close the connection, which releases every lock this process holds."""
        async with self._mutex:
            self._held.clear()
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.close()
                self._connection = None

    async def _connect(self) -> Any:
        if self._connection is None or self._connection.is_closed():
            self._held.clear()
            self._connection = await connect(self._url)
        return self._connection

    async def _lost(self, error: Exception) -> None:
        if self._held:
            log.error(
                "advisory lock connection lost (%s): giving up %s", type(error).__name__, len(self._held)
            )
        else:
            log.warning("advisory lock connection failed (%s)", type(error).__name__)
        self._held.clear()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.terminate()
            self._connection = None


class PlatformOwnership:
    """Which platforms this process's worker delivers now: those whose ``outbox:<platform>`` lock it holds.

    One owner per platform keeps a platform's published limits for all processes together: only the owner
    claims that platform's rows, and it paces them. A spare worker takes a platform over when its owner
    dies (the lock goes with the owner's connection). A worker that already owns a platform reaches for
    another one only every ``spread`` rounds, so workers started together share the platforms out.

    Args:
        locks: this process's locks.
        platforms: the platforms this worker can deliver.
        refresh: seconds between two looks at the locks.
        spread: rounds an owner lets pass before reaching for one more platform.
    """

    def __init__(
        self, locks: Locks, platforms: Collection[str], *, refresh: float = 1.0, spread: int = 2
    ) -> None:
        self.locks = locks
        self.platforms = tuple(platforms)
        self.refresh = refresh
        self.spread = spread
        self._owned: tuple[str, ...] = ()
        self._next = 0.0
        self._rounds = 0

    @property
    def complete(self) -> bool:
        """Whether this process owns every platform it can deliver (nothing left to reach for)."""
        return len(self._owned) == len(self.platforms)

    @staticmethod
    def lock_name(platform: str) -> str:
        """The advisory lock of ``platform``'s deliveries."""
        return f"outbox:{platform}"

    async def owned(self) -> tuple[str, ...]:
        """The platforms whose rows this process may claim now (looking at the locks at most every ``refresh``)."""
        if not self.locks.shared:
            return self.platforms
        now = asyncio.get_running_loop().time()
        still = tuple(p for p in self._owned if self.locks.holds(self.lock_name(p)))
        if still != self._owned:
            log.warning(
                "no longer delivering %s: another process may", ", ".join(set(self._owned) - set(still))
            )
            self._owned = still
        if now < self._next:
            return self._owned
        self._next = now + self.refresh
        self._rounds += 1
        await self.locks.check()
        self._owned = tuple(p for p in self._owned if self.locks.holds(self.lock_name(p)))
        if self._owned and self._rounds % self.spread:
            return self._owned
        free = [p for p in self.platforms if p not in self._owned]
        random.shuffle(free)  # workers started together reach for different platforms first
        for platform in free:
            if await self.locks.acquire(self.lock_name(platform)):
                log.info("delivering %s: this process owns its rate budget", platform)
                self._owned = (*self._owned, platform)
                break  # one more per round: a peer that owns nothing gets its chance
        return self._owned
