"""SQLAlchemy's aiosqlite adapter, with short statements run on the event loop's thread and the rest in one hop.

aiosqlite runs every call of a connection in that connection's own thread, and each call is a hop: queue the
call, wake the thread, hand the interpreter over, wake the event loop with the answer. On a local file a hop costs
far more than the statement (an event's lookup, its claim and its commit take a few microseconds each), and
SQLAlchemy's adapter makes three or four hops per statement. With a no-op handler those hops were most of an
event's time on SQLite.

So a statement first runs right here, on the loop's thread, and goes to the driver's thread only when it would
hold the loop:

- a ``SELECT`` gets :data:`INLINE_BUDGET`; SQLite's progress handler interrupts it past that (harmless for a
  read, even inside a transaction) and it runs again in the thread;
- a write cannot be interrupted (SQLite would roll back the whole transaction), so a write statement that once
  took longer than the budget, and every ``executemany``, always runs in the thread;
- a statement that meets another process's lock (``sosbot purge``, ``rotate-key``) is never waited for here: the
  connection's busy timeout is 0 on this thread, and the statement waits in the driver's thread, with the timeout
  the engine asked for, while the loop serves everyone else;
- commits run here too, so SQLite's automatic WAL checkpoint (which writes and syncs the database file) is off,
  and every :data:`CHECKPOINT_EVERY` commits a checkpoint runs in the driver's thread instead.

In the thread a statement takes one hop: execute, fetch and close in one call, keeping what SQLAlchemy reads
afterwards (rows, ``description``, ``rowcount``, ``lastrowid``) on the Python side. Everything else is
SQLAlchemy's own adapter: connections, server-side cursors and the translation of driver errors.
:func:`storage.db.create_engine` passes :data:`DBAPI` to SQLAlchemy as the engine's DBAPI module, so URLs stay
``sqlite+aiosqlite://``.
"""

from __future__ import annotations

import collections
import functools
import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_only

# How long one statement may hold the event loop: about what parsing one incoming update costs.
INLINE_BUDGET = 0.002
PROGRESS_STEPS = 1_000  # SQLite VM instructions between two looks at the clock (a few microseconds)
CHECKPOINT_EVERY = 500  # commits between two WAL checkpoints (SQLite's own default is every ~1,000 pages)
# Statements remembered as too slow for the loop (their texts come from SQLAlchemy's compiled caches).
SLOW_STATEMENTS_KEPT = 1_000
DEFAULT_TIMEOUT = 5.0  # sqlite3.connect's own default busy timeout, in seconds

_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_BUSY, _INTERRUPTED = sqlite3.SQLITE_BUSY, sqlite3.SQLITE_INTERRUPT

# What one statement leaves behind: description, rows (None when it returns none), rowcount, lastrowid.
_Outcome = tuple[Any, list[Any] | None, int, int | None]
_T = TypeVar("_T")


def _run_statement(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """Execute, fetch every row and close the cursor, as one call."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        # Read after the fetch: for INSERT … RETURNING sqlite3 counts the rows as they are fetched.
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _waiting(timeout: float, work: Callable[[sqlite3.Connection], _T]) -> Callable[[sqlite3.Connection], _T]:
    """``work`` in the driver's thread, waiting up to ``timeout`` seconds for another connection's lock."""

    def run(connection: sqlite3.Connection) -> _T:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        try:
            return work(connection)
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    return run


def _checkpoint(connection: sqlite3.Connection) -> None:
    """Copy what the WAL holds into the database file, waiting for no reader or writer."""
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _no_automatic_checkpoint(connection: sqlite3.Connection) -> None:
    """SQLite's own checkpoint would run inside a commit, on the loop's thread (see the module)."""
    connection.execute("PRAGMA wal_autocheckpoint = 0").fetchall()


def _gives_way(error: sqlite3.OperationalError) -> bool:
    """The work met another connection's lock, or ran past its budget: it runs again in the thread."""
    return error.sqlite_errorcode & 0xFF in (_BUSY, _INTERRUPTED)


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements run on the loop's thread when short, else in one hop (see the module)."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No driver cursor is opened here (SQLAlchemy's adapter opens one, a hop of its own): each statement
        # opens and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)
        return self

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        work = functools.partial(_run_statement, operation=operation, parameters=parameters, many=many)
        async with connection._execute_mutex:
            outcome = await connection.run(work, statement=operation, batch=many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows else collections.deque()

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor was closed with its statement, the rows are kept here."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        """SQLite returns one result set per statement."""
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes (a DB-API no-op)."""


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter, running short statements and commits on the loop's thread."""

    __slots__ = ("_in_flight", "timeout")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: OneHopDBAPI, connection: Any, timeout: float) -> None:
        super().__init__(dbapi, connection)  # an aiosqlite.Connection
        self.timeout = timeout  # how long a statement waits for another connection's lock, in the thread
        # Calls sent to the driver's thread and not finished there (a cancelled caller leaves one behind): while
        # any is, nothing runs on this thread, so the connection is never used from two threads at once.
        self._in_flight = 0

    async def run(
        self, work: Callable[[sqlite3.Connection], _T], *, statement: str | None = None, batch: bool = False
    ) -> _T:
        """Run ``work`` with the driver's connection: on the loop's thread when it may, else in the driver's
        thread, waiting there for another connection's lock.

        Args:
            statement: the SQL ``work`` runs, if any: a ``SELECT`` gets :data:`INLINE_BUDGET`, and a statement
                once slower than that goes to the driver's thread from then on.
            batch: ``work`` runs many statements (``executemany``): always in the driver's thread.
        """
        sqlite = self._connection._connection
        if sqlite is not None and not batch and not self._in_flight and statement not in self.dbapi.slow:
            try:
                return self._here(sqlite, work, statement)
            except sqlite3.OperationalError as error:
                if not _gives_way(error):
                    raise
        return await self.hop(_waiting(self.timeout, work))

    def _here(
        self, sqlite: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T], statement: str | None
    ) -> _T:
        dbapi: OneHopDBAPI = self.dbapi
        started = time.perf_counter()
        read = statement is not None and _READ.match(statement) is not None
        if read:
            deadline = started + INLINE_BUDGET
            sqlite.set_progress_handler(lambda: time.perf_counter() > deadline, PROGRESS_STEPS)
        try:
            result = work(sqlite)
        except sqlite3.OperationalError as error:
            if statement is not None and error.sqlite_errorcode == _INTERRUPTED:
                dbapi.remember_slow(statement)
            raise
        finally:
            if read:
                sqlite.set_progress_handler(None, 0)
        if statement is not None and time.perf_counter() - started > INLINE_BUDGET:
            dbapi.remember_slow(statement)
        return result

    async def hop(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` with the driver's connection in the driver's thread."""
        driver = self._connection
        self._in_flight += 1

        def run() -> _T:
            try:
                return work(driver._conn)
            finally:
                self._in_flight -= 1

        result: _T = await driver._execute(run)
        return result

    def commit(self) -> None:
        if self._finish(sqlite3.Connection.commit) and self.dbapi.committed():
            await_only(self.hop(_checkpoint))

    def rollback(self) -> None:
        self._finish(sqlite3.Connection.rollback)

    def _finish(self, end: Callable[[sqlite3.Connection], None]) -> bool:
        """Commit or roll back; False when the connection was closed already (as SQLAlchemy's adapter allows)."""
        if self._connection._connection is None:
            return False
        try:
            await_only(self.run(end))
        except Exception as error:
            self._handle_exception(error)
        return True


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given instead of its own (``create_engine(module=…)``)."""

    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self.slow: set[str] = set()  # statements that took longer than INLINE_BUDGET: they run in the thread
        self._commits = 0

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        timeout = float(kw.pop("timeout", DEFAULT_TIMEOUT))
        # The loop's thread uses the connection too (never while the driver's thread does), and never waits
        # for a lock there: the busy timeout is 0 but for statements sent to the driver's thread.
        kw.update(check_same_thread=False, timeout=0)
        adapted = super().connect(*arg, **kw)
        connection = OneHopConnection(self, adapted._connection, timeout)
        await_only(connection.run(_no_automatic_checkpoint))
        return connection

    def remember_slow(self, operation: str) -> None:
        """Send ``operation`` to the driver's thread from now on."""
        if len(self.slow) >= SLOW_STATEMENTS_KEPT:
            self.slow.clear()  # statements rendered with literals could grow without end
        self.slow.add(operation)

    def committed(self) -> bool:
        """Count a commit; True when a checkpoint is due."""
        self._commits += 1
        return self._commits % CHECKPOINT_EVERY == 0


DBAPI = OneHopDBAPI(aiosqlite, sqlite3)
