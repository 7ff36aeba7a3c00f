"""A connection given back to the pool in the middle of a transaction is rolled back before its next use,
on SQLite too, where the pool skips the rollback after a commit (it cost a round trip per event)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from storage.db import create_engine
from storage.models import ProcessedEvent

INSERT = "INSERT INTO processed_events (platform, event_id, created_at) VALUES ('telegram', 'e1', CURRENT_TIMESTAMP)"


def behind_sqlalchemy(sync: Connection) -> None:
    driver = sync.connection.dbapi_connection
    assert driver is not None
    driver.cursor().execute(INSERT)


async def test_an_unfinished_transaction_does_not_survive_the_pool(database_url: str) -> None:
    # One connection only, so the next checkout gets the very connection that was given back.
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            # Straight through the driver, behind SQLAlchemy's back: only the pool's reset can undo it.
            await connection.run_sync(behind_sqlalchemy)
        async with engine.connect() as connection:
            seen = (await connection.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one()
        async with engine.begin() as connection:  # and the write lock is free again
            await connection.exec_driver_sql(INSERT)
        async with engine.connect() as connection:
            stored = (await connection.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one()
    finally:
        await engine.dispose()
    assert (seen, stored) == (0, 1)
