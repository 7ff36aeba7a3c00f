"""The delivery engine outlives its store: a terminated connection, a held write lock and an unreadable row
each leave it delivering, and an urgent row outlives a long platform outage."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import select, text

from bot.core.outbox import OutboxWorker, WorkerConfig
from storage.db import create_engine, session_factory
from storage.models import Delivery
from storage.outbox import URGENT
from tests.conftest import _truncate
from tests.core.test_outbox import FAST, enqueue, rows, worker
from tests.rigs import TelegramRig, telegram_rig


@contextlib.asynccontextmanager
async def running(engine: OutboxWorker) -> AsyncIterator[asyncio.Task[None]]:
    """The worker delivering in the background, as in the running process; stopped at the end."""
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def received(rig: TelegramRig, chat: int) -> int:
    return sum(1 for call in rig.emulator.calls_to("sendMessage") if call.params["chat_id"] == chat)


async def test_terminated_connections_leave_the_engine_delivering(postgres_url: str) -> None:
    await _truncate(postgres_url)
    rig = await telegram_rig(postgres_url, "polling")
    try:
        await enqueue(rig, "case:1:alert", ["7101"], priority=URGENT)
        async with running(worker(rig)) as task:
            await rig.emulator.wait_for(lambda: received(rig, 7101) == 1, timeout=10)
            admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                killed = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            finally:
                await admin.close()
            assert killed >= 1  # the worker's pooled connections really went away
            await asyncio.sleep(0.2)  # the worker meets the dead connections (InterfaceError) meanwhile
            await enqueue(rig, "case:2:alert", ["7102"], priority=URGENT)
            await rig.emulator.wait_for(lambda: received(rig, 7102) == 1, timeout=10)
            assert not task.done()
        assert {r.chat_id: r.status for r in await rows(rig)} == {"7101": "sent", "7102": "sent"}
    finally:
        await rig.close()


async def test_a_held_sqlite_write_lock_leaves_the_engine_delivering_and_loses_no_outcome(
    sqlite_url: str,
) -> None:
    rig = await telegram_rig(sqlite_url, "polling")
    # The worker's own engine waits 0.2 s for the lock (the process waits 30 s): the lock below is held
    # seven times longer than that, as `sosbot rotate-key` holds it longer than 30 s on a large store.
    engine = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    lock = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
    try:
        rig.emulator.inject("sendMessage", "slow", chat_id=7202, delay=0.5)
        await enqueue(rig, "case:1:alert", ["7201", "7202"], priority=URGENT)
        config = WorkerConfig(time_scale=0.01, idle_poll=5.0, flush_interval=5.0)
        engine_worker = OutboxWorker(session_factory(engine), {"telegram": rig.adapter}, config=config)
        async with running(engine_worker) as task:
            await rig.emulator.wait_for(lambda: received(rig, 7202) == 1, timeout=10)
            await asyncio.to_thread(lock.execute, "BEGIN IMMEDIATE")  # before 7202's answer is recorded
            await asyncio.sleep(1.5)
            await asyncio.to_thread(lock.execute, "COMMIT")
            await enqueue(rig, "case:2:alert", ["7203"], priority=URGENT)
            await rig.emulator.wait_for(lambda: received(rig, 7203) == 1, timeout=10)
            assert not task.done()
        stored = {r.chat_id: (r.status, r.attempts) for r in await rows(rig)}
        assert stored == {"7201": ("sent", 1), "7202": ("sent", 1), "7203": ("sent", 1)}
        sent = Counter(call.params["chat_id"] for call in rig.emulator.calls_to("sendMessage"))
        assert sent == {7201: 1, 7202: 1, 7203: 1}  # the outcome kept through the lock: no second send
    finally:
        lock.close()
        await engine.dispose()
        await rig.close()


@pytest.mark.parametrize("garbage", ["gAAAAABnot-a-token", '{"text": "unencrypted"}'])
async def test_an_undecryptable_row_is_set_aside_and_the_others_flow(database_url: str, garbage: str) -> None:
    rig = await telegram_rig(database_url, "polling")
    try:
        await enqueue(rig, "appeal:1", ["7301", "7302", "7303"], priority=URGENT)
        async with rig.app.sessions() as session, session.begin():
            row = (await session.execute(select(Delivery).where(Delivery.chat_id == "7302"))).scalar_one()
            await session.execute(
                text("UPDATE deliveries SET payload = :garbage WHERE id = :id"),
                {"garbage": garbage, "id": row.id},
            )
        await worker(rig).run_until_idle()
        stored = {r.chat_id: (r.status, r.last_error) for r in await _rows_without_payload(rig)}
        assert stored == {
            "7301": ("sent", None),
            "7302": ("failed", "undecodable: DecryptionError"),
            "7303": ("sent", None),
        }
        assert sorted(call.params["chat_id"] for call in rig.emulator.calls_to("sendMessage")) == [7301, 7303]
    finally:
        await rig.close()


async def test_a_payload_that_is_not_a_message_is_set_aside(telegram_polling: TelegramRig) -> None:
    rig = telegram_polling
    await enqueue(rig, "appeal:1", ["7401", "7402"])
    async with rig.app.sessions() as session, session.begin():
        row = (await session.execute(select(Delivery).where(Delivery.chat_id == "7401"))).scalar_one()
        row.payload = "not json"  # encrypted like any payload, but not a message
    await worker(rig).run_until_idle()
    stored = {r.chat_id: (r.status, r.last_error) for r in await rows(rig)}
    assert stored == {"7401": ("failed", "undecodable: JSONDecodeError"), "7402": ("sent", None)}


async def _rows_without_payload(rig: TelegramRig) -> list[Delivery]:
    from sqlalchemy.orm import defer

    async with rig.app.sessions() as session:
        query = select(Delivery).options(defer(Delivery.payload)).order_by(Delivery.id)
        return list((await session.execute(query)).scalars().all())


async def test_an_urgent_row_outlives_a_ten_minute_platform_outage(telegram_polling: TelegramRig) -> None:
    rig, scale = telegram_polling, 0.002
    rig.emulator.inject("sendMessage", 502, times=1_000_000)  # Telegram answers 502 to everything
    await enqueue(rig, "case:1:alert", ["7501"], priority=URGENT, text="New threat report")
    await enqueue(rig, "digest:1", ["7502"], text="routine")
    config = WorkerConfig(time_scale=scale, idle_poll=1.0, flush_interval=1.0)
    async with running(worker(rig, config)):
        await asyncio.sleep(600 * scale)  # ten minutes of outage on the worker's clock
        rig.emulator._failures.clear()  # Telegram is back
        await rig.emulator.wait_for(lambda: rig.emulator.messages_in(7501) != [], timeout=10)
    by_chat = {r.chat_id: r for r in await rows(rig)}
    assert by_chat["7501"].status == "sent"
    assert by_chat["7501"].attempts > FAST.max_attempts  # it kept trying past the limit of ordinary rows
    assert by_chat["7502"].status == "failed" and by_chat["7502"].attempts == FAST.max_attempts
