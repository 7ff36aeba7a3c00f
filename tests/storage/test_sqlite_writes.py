"""On SQLite, a process's writers take turns in arrival order instead of racing for the file's lock.

SQLite's busy handler polls with growing sleeps and favours nobody: under a burst (thousands of members
pressing Sign while the outbox worker writes), one writer could wait past the busy timeout and its event was
answered with an apology. The process now queues its own writers fairly before SQLite sees them.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from storage.db import create_engine, session_factory
from storage.models import ProcessedEvent

WRITERS = 40
HELD = 0.02  # each writer keeps its transaction open this long (a handler awaiting something)


async def _write_once(sessions: object, index: int) -> None:
    async with sessions() as session, session.begin():  # type: ignore[operator]
        await session.execute(
            text(
                "INSERT INTO processed_events (platform, event_id, created_at) "
                "VALUES ('telegram', :event, CURRENT_TIMESTAMP)"
            ),
            {"event": f"burst-{index}"},
        )
        await asyncio.sleep(HELD)


async def test_a_burst_of_writers_longer_than_the_busy_timeout_all_commit(sqlite_url: str) -> None:
    # The busy timeout (0.2 s) is a quarter of the burst's length (40 × 20 ms): racing for the file's lock,
    # most writers gave up with "database is locked"; queued, each waits its turn and commits.
    engine = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    sessions = session_factory(engine)
    try:
        outcomes = await asyncio.gather(
            *(_write_once(sessions, i) for i in range(WRITERS)), return_exceptions=True
        )
        async with sessions() as session:
            stored = (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one()
    finally:
        await engine.dispose()
    assert [type(o).__name__ for o in outcomes if o is not None] == []
    assert stored == WRITERS


async def test_readers_do_not_wait_for_a_writer(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    sessions = session_factory(engine)
    try:
        async with sessions() as writer, writer.begin():
            await writer.execute(
                text(
                    "INSERT INTO processed_events (platform, event_id, created_at) "
                    "VALUES ('telegram', 'w', CURRENT_TIMESTAMP)"
                )
            )
            async with sessions() as reader:  # WAL: a reader sees the last commit while a writer works
                seen = await asyncio.wait_for(
                    reader.execute(select(func.count()).select_from(ProcessedEvent)), timeout=5
                )
                assert seen.scalar_one() == 0
    finally:
        await engine.dispose()


async def test_a_second_write_transaction_in_the_same_task_fails_at_once_instead_of_waiting_for_itself(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    sessions = session_factory(engine)
    insert = text(
        "INSERT INTO processed_events (platform, event_id, created_at) VALUES ('telegram', :e, CURRENT_TIMESTAMP)"
    )
    try:
        async with sessions() as first, first.begin():
            await first.execute(insert, {"e": "a"})
            with pytest.raises(Exception, match="database is locked"):
                async with sessions() as second, second.begin():
                    await second.execute(insert, {"e": "b"})  # same task: no wait_for, which runs a new one
        async with sessions() as session, session.begin():  # the queue is free again
            await session.execute(insert, {"e": "c"})
    finally:
        await engine.dispose()


async def test_a_writer_cancelled_in_its_transaction_lets_the_next_one_in(sqlite_url: str) -> None:
    # Ctrl-C or a stopping worker cancels a task in the middle of its transaction: the queue must not stay held.
    engine = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    sessions = session_factory(engine)
    try:
        for pause in (0.0, 0.001, 0.01):
            task = asyncio.create_task(_write_once(sessions, 1000))
            await asyncio.sleep(pause)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(_write_once(sessions, 2000), timeout=5)
    finally:
        await engine.dispose()
