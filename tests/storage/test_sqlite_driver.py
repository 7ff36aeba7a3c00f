"""On SQLite short statements run on the event loop's thread, the rest take one hop to aiosqlite's thread, and
SQLAlchemy gets what its stock adapter gives."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_driver
from storage.db import create_engine
from storage.sqlite_driver import OneHopConnection


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to an aiosqlite thread, in order."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_the_engine_uses_the_one_hop_adapter(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)


async def test_short_statements_and_commits_take_no_hop(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.connect() as connection:
        hops.clear()  # a first connect sets the connection up in the driver's thread
        inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.rowcount == 1
        rows = (await connection.execute(text("SELECT id, v FROM t"))).all()
        await connection.commit()
    assert rows == [(1, "a")]
    assert hops == []


async def test_a_long_select_moves_to_the_driver_s_thread_and_stays_there(
    engine: AsyncEngine, hops: list[str]
) -> None:
    # Counting to five million takes SQLite far longer than the loop may be held.
    count = text(
        "SELECT count(*) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000000)"
        " SELECT i FROM n)"
    )
    async with engine.connect() as connection:
        hops.clear()
        assert (await connection.execute(count)).scalar_one() == 5_000_000
        assert hops == ["run"]  # interrupted on the loop's thread, run again in the driver's
        assert (await connection.execute(count)).scalar_one() == 5_000_000
        assert hops == ["run", "run"]  # remembered: straight to the thread
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        assert hops == ["run", "run"]  # short statements still run here


async def test_batches_run_in_the_driver_s_thread(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.begin() as connection:
        hops.clear()
        many = await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2
        assert hops == ["run"]


async def test_another_process_s_lock_is_waited_for_off_the_loop(engine: AsyncEngine, tmp_path: Path) -> None:
    """A write that meets another connection's lock waits in the driver's thread, and the loop goes on."""
    holder = sqlite3.connect(tmp_path / "sos.db", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # as ``sosbot purge`` holds it
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def release() -> None:
        await asyncio.sleep(0.5)
        ticks_before = ticks
        holder.rollback()
        assert ticks_before > 0  # the loop kept running while the write waited

    ticker = asyncio.create_task(tick())
    try:
        async with engine.begin() as connection:
            releasing = asyncio.create_task(release())
            inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('after the lock')"))
            assert inserted.rowcount == 1
            await releasing
    finally:
        ticker.cancel()
        holder.close()
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT v FROM t"))).scalars().all() == ["after the lock"]


async def test_the_wal_is_checkpointed_in_the_driver_s_thread(
    engine: AsyncEngine, hops: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "CHECKPOINT_EVERY", 3)
    async with engine.connect() as connection:
        # SQLite's own checkpoint would run inside a commit, on the loop's thread: it is off.
        assert (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
        hops.clear()
        for value in "abcdef":
            await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
            await connection.commit()
    assert hops.count("run") == 2  # two checkpoints for six commits, nothing else left the loop's thread
    assert hops == ["run", "run"]


async def test_results_are_those_of_sqlalchemy_s_own_adapter(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        returned = await connection.execute(text("INSERT INTO t (v) VALUES ('a') RETURNING id, v"))
        assert returned.keys() == ["id", "v"]
        assert returned.all() == [(1, "a")]
        many = await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2
        updated = await connection.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        result = await connection.execute(text("SELECT v FROM t ORDER BY id"))
        assert result.fetchmany(2) == [("a",), ("b!",)]
        assert result.fetchone() == ("c!",)
        assert result.fetchone() is None
        empty = await connection.execute(text("SELECT v FROM t WHERE id = 99"))
        assert empty.keys() == ["v"]
        assert empty.all() == []


async def test_driver_errors_are_sqlalchemy_s_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
        with pytest.raises(IntegrityError):
            await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await connection.rollback()
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM nowhere"))
        await connection.rollback()
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
