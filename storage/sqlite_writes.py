"""One writer at a time on SQLite, in arrival order, queued in the process rather than at the file's lock.

SQLite lets one connection write at a time; the others wait in its busy handler, which polls with growing
sleeps and favours nobody. Under a burst (thousands of members pressing Sign while the outbox worker writes),
an unlucky writer could wait past the busy timeout and its event was answered with an apology. Queued here,
writers take turns in the order they came, and SQLite's own wait is left for other processes (``sosbot purge``).

A transaction joins the queue at its first write (``INSERT``, ``UPDATE``, ``DELETE``, ``REPLACE``), which is
when the driver opens it (``BEGIN`` is deferred), so its snapshot starts once its turn has come and readers are
never queued. It leaves at commit or rollback, or when its connection goes back to the pool.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_only, in_greenlet

# The driver opens a transaction before these statements only (Python's sqlite3 rule): the same ones queue.
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# A writer that waits this long is refused as SQLite itself would refuse it: something holds a transaction open.
QUEUE_TIMEOUT = 120.0


class WriteQueue:
    """A fair lock over an engine's write transactions; its holder is a pooled connection's ``info`` dict."""

    def __init__(self, timeout: float = QUEUE_TIMEOUT) -> None:
        self.timeout = timeout
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}  # an engine may serve several loops
        self._holder: dict[Any, Any] | None = None
        self._holder_task: asyncio.Task[Any] | None = None
        self._held: asyncio.Lock | None = None

    def install(self, engine: AsyncEngine) -> None:
        """Queue ``engine``'s write transactions."""
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before_execute)
        event.listen(sync, "commit", self._leave_connection)
        event.listen(sync, "rollback", self._leave_connection)
        event.listen(sync.pool, "checkin", self._leave_record)
        event.listen(sync.pool, "invalidate", self._leave_record)
        event.listen(sync.pool, "soft_invalidate", self._leave_record)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def _before_execute(
        self, conn: Connection, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        if self._holder is conn.info or not _WRITE.match(statement) or not in_greenlet():
            return
        await_only(self._join(conn.info))

    async def _join(self, info: dict[Any, Any]) -> None:
        task = asyncio.current_task()
        if self._holder is not None and self._holder_task is not None and self._holder_task.done():
            # Its task ended without a commit or rollback reaching us: let the others in.
            self._leave(self._holder)
        if self._holder is not None and task is not None and task is self._holder_task:
            # Waiting for itself would never end: refused at once, as SQLite refuses a second writer.
            raise sqlite3.OperationalError("database is locked (by this task's own transaction)")
        lock = self._lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self._holder, self._holder_task, self._held = info, task, lock

    def _leave(self, info: dict[Any, Any]) -> None:
        if self._holder is not info:
            return
        lock, self._held = self._held, None
        self._holder = self._holder_task = None
        if lock is not None:
            lock.release()

    def _leave_connection(self, conn: Connection) -> None:
        if conn.invalidated:  # cancelled mid-statement: the pool's invalidate event has let the next one in
            return
        self._leave(conn.info)

    def _leave_record(self, _dbapi_connection: Any, record: Any, *_args: Any) -> None:
        self._leave(record.info)
