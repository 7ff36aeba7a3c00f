"""SQLAlchemy's aiosqlite adapter, with each statement run in one hop to the driver's thread.

aiosqlite runs every call of a connection in that connection's own thread, and each call is a hop: queue the
call, wake the thread, wake the event loop with the answer. SQLAlchemy's adapter makes three or four of them per
statement (open a cursor, execute, fetch the rows, close the cursor), and on a local file those hops cost more
than the statement itself: with a no-op handler, they were most of an event's time on SQLite. The cursor here
runs all four in one hop and keeps what SQLAlchemy reads afterwards (the rows, ``description``, ``rowcount``,
``lastrowid``) on the Python side.

Everything else is SQLAlchemy's own adapter: connections, commits, server-side cursors and the translation of
driver errors. :func:`storage.db.create_engine` passes :data:`DBAPI` to SQLAlchemy as the engine's DBAPI
module, so URLs stay ``sqlite+aiosqlite://``.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

# What one statement leaves behind: description, rows (None when it returns none), rowcount, lastrowid.
_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run_statement(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """In the driver's thread: execute, fetch every row and close the cursor, as one call."""
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


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements each take one hop to aiosqlite's thread (see the module's docstring)."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No driver cursor is opened here (SQLAlchemy's adapter opens one, a hop of its own): each statement
        # opens and closes its own in the driver's thread.
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
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await driver._execute(
                _run_statement, driver._conn, operation, parameters, many
            )
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
    """SQLAlchemy's aiosqlite connection adapter, handing out :class:`OneHopCursor` for buffered statements."""

    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given instead of its own (``create_engine(module=…)``)."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        # Same driver connection, with this module's cursor: SQLAlchemy's connect() builds its own class.
        return OneHopConnection(self, adapted._connection)


DBAPI = OneHopDBAPI(aiosqlite, sqlite3)
