"""On SQLite each statement takes one hop to aiosqlite's thread, and gives SQLAlchemy what the stock adapter gives."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def test_a_select_and_an_insert_take_one_hop_each(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.connect() as connection:
        hops.clear()  # the checkout itself costs nothing here, but a first connect runs its pragmas
        inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.rowcount == 1
        rows = (await connection.execute(text("SELECT id, v FROM t"))).all()
        await connection.commit()
    assert rows == [(1, "a")]
    assert hops == ["_run_statement", "_run_statement", "commit"]


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
