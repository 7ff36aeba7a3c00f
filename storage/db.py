"""Engine and session factory for SQLite (embedded, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_driver
from storage.sqlite_writes import WriteQueue


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; on SQLite turn on WAL, foreign keys and a busy timeout.

    WAL lets readers go on while the one writer commits; the process's own writers take turns in a fair
    queue (:mod:`storage.sqlite_writes`), and the busy timeout makes another process's writer wait instead of
    failing with "database is locked".
    """
    sqlite = url.startswith("sqlite")
    if sqlite:
        kwargs.setdefault("connect_args", {"timeout": 30})
        secure_sqlite_file(url)
        # A hop to aiosqlite's thread and back costs more than a statement on a local file: each statement
        # takes one (storage.sqlite_driver), and the pool's idle rollback is skipped (see _skip_idle_rollback).
        kwargs.setdefault("module", sqlite_driver.DBAPI)
        kwargs.setdefault("pool_reset_on_return", None)
    # Room for the dispatcher's concurrent events plus the outbox worker and the web server's health checks.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    if not sqlite and "pool_pre_ping" not in kwargs:
        ping_idle_connections(engine)
    if engine.dialect.name == "sqlite":
        WriteQueue().install(engine)
        if kwargs["pool_reset_on_return"] is None:
            event.listen(engine.sync_engine, "reset", _skip_idle_rollback)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


# A connection given back less than this long ago is not pinged at checkout (HikariCP's "alive bypass window"
# is 500 ms): the server dropping it within that second is rare, and a statement that then fails on it
# invalidates the whole pool, as any disconnect does.
PING_AFTER_IDLE = 1.0
_LAST_USED = "sos_last_used"  # the pool record's info key: time.monotonic() of the last check-in


def ping_idle_connections(engine: AsyncEngine) -> None:
    """Check a pooled connection that sat idle before handing it out; replace it when the server dropped it.

    A connection the server dropped (restart, ``pg_terminate_backend``, failover) is replaced at checkout
    instead of failing the first statement that uses it. SQLAlchemy's ``pool_pre_ping`` does the same at every
    checkout, which on asyncpg costs three round trips (begin, ping, rollback) per event: more than the
    event's own statements. A SQLite file has no server to drop it.
    """
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool discards this connection and checks out another
            raise DisconnectionError(f"idle connection failed its ping: {type(error).__name__}") from error


def _skip_idle_rollback(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
    """Roll back a connection returning to the pool only when it is still in a transaction.

    After a commit (every event) the pool's usual rollback does nothing but costs a round trip to
    aiosqlite's thread; a connection given back mid-transaction (an error, a cancelled task) is rolled back.
    """
    driver = getattr(dbapi_connection, "driver_connection", None)
    if reset_state.terminate_only or (driver is not None and not driver.in_transaction):
        return
    dbapi_connection.rollback()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (handlers read them when replying)."""
    return async_sessionmaker(engine, expire_on_commit=False)


PRIVATE_FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def secure_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by its owner only (0600), and tighten an existing one and its companions.

    SQLite gives its WAL and shared-memory files the database file's permission bits, so creating the
    database 0600 before SQLite opens it keeps all three private, whatever the process's umask.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists() and companion.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
            companion.chmod(PRIVATE_FILE_MODE)
