"""The delivery engine against the Telegram and Slack emulators through the real client libraries."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.core.codec import encode
from bot.core.delivery import FailureKind
from bot.core.outbox import OutboxWorker, WorkerConfig
from bot.core.outbox_api import Outbox
from storage.deliveries import status
from storage.models import Channel, Delivery, utcnow
from storage.outbox import NORMAL, ROUTINE, URGENT, OutboxRepository, Target
from tests.clock import YEAR
from tests.rigs import SlackRig, TelegramRig, slack_rig, telegram_rig

FAST = WorkerConfig(time_scale=0.01, idle_poll=1.0, flush_interval=1.0, backoff_base=1.0)


async def enqueue(rig: TelegramRig | SlackRig, subject: str, chats: list[str], platform: str = "telegram",
                  priority: int = NORMAL, text: str = f"Urgent appeal UA-{YEAR}-014") -> None:  # fmt: skip
    async with rig.app.sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        for chat in chats:
            target = Target(platform, chat, "en", "T0SANDBOX" if platform == "slack" else "")
            await outbox.enqueue(subject, target, encode(f"{text} → {chat}"), priority=priority)


def worker(rig: TelegramRig | SlackRig, config: WorkerConfig = FAST, **options: object) -> OutboxWorker:
    return OutboxWorker(rig.app.sessions, {rig.adapter.platform: rig.adapter}, config=config, **options)  # type: ignore[arg-type]


async def rows(rig: TelegramRig | SlackRig) -> list[Delivery]:
    async with rig.app.sessions() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars().all())


async def test_a_broadcast_reaches_every_chat_once_with_no_429(sqlite_url: str) -> None:
    rig = await telegram_rig(sqlite_url, "polling")
    rig.emulator.rate_limits = True
    try:
        chats = [str(2000 + i) for i in range(60)] + [str(-1002000 - i) for i in range(6)]
        await enqueue(rig, "appeal:1", chats)
        await enqueue(rig, "appeal:1", chats[:3])  # enqueueing again adds nothing
        await worker(rig).run_until_idle()
        sent = Counter(call.params["chat_id"] for call in rig.emulator.calls_to("sendMessage"))
        assert sent == Counter({int(chat): 1 for chat in chats})
        assert rig.emulator.rate_limit_hits == 0
        stored = await rows(rig)
        assert len(stored) == 66 and {r.status for r in stored} == {"sent"}
        assert all(r.platform_message_id for r in stored)
        times = [c.at for c in rig.emulator.calls_to("sendMessage")]
        lower_bound = (len(times) - 1) / 30 * 0.01  # 30 messages/s overall, windows scaled by 0.01
        assert times[-1] - times[0] >= lower_bound * 0.9
    finally:
        await rig.close()


async def test_failures_follow_the_rules(telegram_polling: TelegramRig) -> None:
    rig, emulator = telegram_polling, telegram_polling.emulator
    async with rig.app.sessions() as session, session.begin():
        session.add(Channel(platform="telegram", chat_id="-100403", title="Left group"))
        session.add(Channel(platform="telegram", chat_id="-100500", title="Old group"))
    emulator.inject("sendMessage", "429", chat_id=3001, retry_after=1)
    emulator.inject("sendMessage", "403", chat_id=-100403)
    emulator.inject("sendMessage", "chat_not_found", chat_id=3002)
    emulator.inject("sendMessage", "migrated", chat_id=-100500, new_chat_id=-100501)
    emulator.inject("sendMessage", "500", chat_id=3003, times=2)
    emulator.inject("sendMessage", "502", chat_id=3004, times=5)
    lost: list[tuple[str, FailureKind]] = []

    async def on_lost(row: Delivery, kind: FailureKind) -> None:
        lost.append((row.chat_id, kind))

    await enqueue(rig, "appeal:2", ["3001", "-100403", "3002", "-100500", "3003", "3004", "3005"])
    config = WorkerConfig(
        time_scale=0.01, idle_poll=1.0, flush_interval=1.0, backoff_base=1.0, max_attempts=3
    )
    await worker(rig, config, on_target_lost=on_lost).run_until_idle()
    by_chat = {r.chat_id: r for r in await rows(rig)}
    assert by_chat["3001"].status == "sent" and by_chat["3001"].attempts == 2  # after retry_after
    assert by_chat["-100403"].status == "failed" and by_chat["-100403"].last_error == "blocked: forbidden"
    assert by_chat["3002"].status == "failed" and by_chat["3002"].last_error.startswith("not_found")
    assert "-100500" not in by_chat and by_chat["-100501"].status == "sent"  # followed the migration
    assert by_chat["3003"].status == "sent" and by_chat["3003"].attempts == 3  # two 5xx, then through
    assert by_chat["3004"].status == "failed" and by_chat["3004"].attempts == 3  # gave up, visibly
    assert by_chat["3005"].status == "sent"
    assert sorted(lost) == [("-100403", FailureKind.BLOCKED), ("3002", FailureKind.NOT_FOUND)]
    async with rig.app.sessions() as session:
        channels = {c.title: c for c in (await session.execute(select(Channel))).scalars().all()}
        counts = await status(session, "appeal:2")
    assert not channels["Left group"].active and channels["Old group"].chat_id == "-100501"
    assert counts.by_status == {"sent": 4, "failed": 3}
    assert counts.failures == {"blocked": 1, "not_found": 1, "transient": 1}
    assert emulator.messages_in(-100501)[0].text.endswith("→ -100500")


async def test_urgent_rows_go_first(telegram_polling: TelegramRig) -> None:
    await enqueue(telegram_polling, "digest:1", ["4001", "4002"], priority=ROUTINE, text="routine")
    await enqueue(telegram_polling, "appeal:3", ["4003", "4004"], priority=URGENT, text="urgent")
    config = WorkerConfig(time_scale=0.01, batch=1, max_in_flight=1, idle_poll=1.0, flush_interval=1.0)
    await worker(telegram_polling, config).run_until_idle()
    order = [call.params["chat_id"] for call in telegram_polling.emulator.calls_to("sendMessage")]
    assert order[:2] == [4003, 4004] and sorted(order[2:]) == [4001, 4002]


async def test_a_row_leased_by_a_dead_worker_is_sent_exactly_once_more(telegram_polling: TelegramRig) -> None:
    await enqueue(telegram_polling, "appeal:4", ["5001", "5002"])
    async with telegram_polling.app.sessions() as session, session.begin():
        row = (await session.execute(select(Delivery).where(Delivery.chat_id == "5001"))).scalar_one()
        row.status, row.lease_until, row.attempts = "leased", utcnow(), 1  # the lease has just expired
    await worker(telegram_polling).run_until_idle()
    sent = Counter(call.params["chat_id"] for call in telegram_polling.emulator.calls_to("sendMessage"))
    assert sent == {5001: 1, 5002: 1}


async def test_edits_reach_every_delivered_copy(sqlite_url: str) -> None:
    rig = await slack_rig(sqlite_url)
    try:
        await enqueue(rig, "appeal:5", ["C01", "C02", "C03"], platform="slack")
        await worker(rig).run_until_idle()
        async with rig.app.sessions() as session, session.begin():
            queued = await Outbox(session).edit_all(
                "appeal:5", lambda lang: (f"UPDATED ({lang})", ()), revision=2
            )
        assert queued == 3
        await worker(rig).run_until_idle()
        for channel in ("C01", "C02", "C03"):
            [message] = rig.emulator.messages_in(channel)
            assert message.edited and message.text == "UPDATED (en)"
    finally:
        await rig.close()


@pytest.mark.parametrize("workers", [2])
async def test_two_workers_share_the_queue_on_postgresql(postgres_url: str, workers: int) -> None:
    from tests.conftest import _truncate

    await _truncate(postgres_url)
    rig = await telegram_rig(postgres_url, "polling")
    try:
        chats = [str(6000 + i) for i in range(120)]
        await enqueue(rig, "appeal:6", chats)
        config = WorkerConfig(time_scale=0.001, batch=10, idle_poll=1.0, flush_interval=1.0)
        engines = [
            OutboxWorker(rig.app.sessions, {"telegram": rig.adapter}, config=config) for _ in range(workers)
        ]
        await asyncio.gather(*(engine.run_until_idle() for engine in engines))
        sent = Counter(call.params["chat_id"] for call in rig.emulator.calls_to("sendMessage"))
        assert sent == Counter({int(chat): 1 for chat in chats})
        assert all(engine.delivered > 0 for engine in engines)
    finally:
        await rig.close()
