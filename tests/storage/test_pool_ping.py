"""PostgreSQL connections the server dropped are replaced at checkout; connections just given back are not
pinged again (the ping cost three round trips per event)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.db import create_engine


def count_pings(engine: AsyncEngine) -> list[int]:
    """Count the dialect's pings (the checkout listener calls ``do_ping``)."""
    pings = [0]
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings[0] += 1
        return real(dbapi_connection)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return pings


async def terminate_others(postgres_url: str) -> int:
    admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


async def select_one(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT 1"))).scalar_one())


async def test_a_connection_given_back_just_now_is_not_pinged(postgres_url: str) -> None:
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    pings = count_pings(engine)
    try:
        assert [await select_one(engine) for _ in range(5)] == [1] * 5
    finally:
        await engine.dispose()
    assert pings[0] == 0


async def test_an_idle_connection_the_server_dropped_is_replaced_at_checkout(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every checkout counts as after a long idle time
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    pings = count_pings(engine)
    try:
        assert await select_one(engine) == 1
        assert await terminate_others(postgres_url) >= 1  # the pooled connection is gone server-side
        assert await select_one(engine) == 1  # no error: the ping found it dead, a new one was used
    finally:
        await engine.dispose()
    assert pings[0] == 3  # the first checkout, the dead connection's, its replacement's
