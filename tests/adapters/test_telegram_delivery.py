"""Sending through the Telegram adapter: every platform failure becomes the right neutral DeliveryError,
long and right-to-left texts are rendered within Telegram's limits, and the emulator's rate limits bite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.adapters.emulators.telegram import TelegramEmulator
from bot.adapters.telegram.render import RLM
from bot.app import App
from bot.core import metrics
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import Button, ChatKind, ChatRef, Edit, OutgoingMessage
from tests.adapters.telegram_fixtures import *  # noqa: F403
from tests.adapters.telegram_fixtures import ANA, JOE, TIMEOUT, TgBot, start_bot

GROUP = -100123
FAILURES = [
    (429, {"retry_after": 7}, FailureKind.RATE_LIMITED),
    (403, {}, FailureKind.BLOCKED),
    ("chat_not_found", {}, FailureKind.NOT_FOUND),
    ("migrated", {"new_chat_id": -100999}, FailureKind.MIGRATED),
    (500, {}, FailureKind.TRANSIENT),
    (502, {}, FailureKind.TRANSIENT),
    ("slow", {"delay": TIMEOUT + 0.5}, FailureKind.TRANSIENT),
]


def message(
    chat_id: int, text: str = "Urgent appeal", buttons: tuple[tuple[Button, ...], ...] = (), rtl: bool = False
) -> OutgoingMessage:
    kind = ChatKind.PRIVATE if chat_id > 0 else ChatKind.GROUP
    return OutgoingMessage(ChatRef("telegram", str(chat_id), kind=kind), text, buttons, rtl=rtl)


def errors_counted(kind: FailureKind) -> float:
    labels = {"platform": "telegram", "kind": kind.value}
    return metrics.REGISTRY.get_sample_value("sos_platform_errors_total", labels) or 0.0


def check(error: DeliveryError, expected: FailureKind) -> None:
    assert error.kind == expected
    if expected == FailureKind.RATE_LIMITED:
        assert error.retry_after == 7
    if expected == FailureKind.MIGRATED:
        assert error.new_chat_id == "-100999"


@pytest.mark.parametrize(("kind", "options", "expected"), FAILURES)
async def test_a_failed_send_is_classified(
    tg_polling: TgBot, kind: str | int, options: dict[str, float], expected: FailureKind
) -> None:
    tg_polling.emulator.inject("sendMessage", kind, chat_id=GROUP, **options)  # type: ignore[arg-type]
    counted = errors_counted(expected)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        await tg_polling.adapter.send(message(GROUP))
    check(raised.value, expected)
    assert time.monotonic() - started < 2.0  # a slow platform is given up on within the timeout
    assert errors_counted(expected) == counted + 1
    await tg_polling.adapter.send(message(GROUP, "Next one"))  # one failure does not spoil the client


@pytest.mark.parametrize(("kind", "options", "expected"), FAILURES)
async def test_a_failed_edit_is_classified(
    tg_polling: TgBot, kind: str | int, options: dict[str, float], expected: FailureKind
) -> None:
    message_id = await tg_polling.adapter.send(message(GROUP))
    tg_polling.emulator.inject("editMessageText", kind, **options)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as raised:
        await tg_polling.adapter.edit(
            Edit(ChatRef("telegram", str(GROUP)), message_id, "Urgent appeal, updated")
        )
    check(raised.value, expected)


async def test_edits_that_change_nothing_succeed_and_unknown_messages_are_rejected(tg_polling: TgBot) -> None:
    adapter, emulator = tg_polling.adapter, tg_polling.emulator
    chat = ChatRef("telegram", str(GROUP))
    buttons = ((Button("I acted", "acted", "UA-1"),),)
    message_id = await adapter.send(message(GROUP, buttons=buttons))
    await adapter.edit(Edit(chat, message_id, "Urgent appeal", buttons))  # "message is not modified"
    assert len(emulator.calls_to("editMessageText")) == 1
    assert not emulator.last_message(GROUP).edited
    await adapter.edit(Edit(chat, message_id, "Urgent appeal (closed)"))
    assert emulator.last_message(GROUP).visible == "Urgent appeal (closed)"
    assert emulator.last_message(GROUP).reply_markup is None
    with pytest.raises(DeliveryError) as raised:
        await adapter.edit(Edit(chat, "424242", "Anything"))
    assert raised.value.kind == FailureKind.REJECTED  # not NOT_FOUND: the chat itself is fine


async def test_deleting_twice_is_done_and_a_forbidden_delete_is_blocked(tg_polling: TgBot) -> None:
    adapter, chat = tg_polling.adapter, ChatRef("telegram", str(JOE.id))
    message_id = await adapter.send(message(JOE.id))
    await adapter.delete(chat, message_id)
    await adapter.delete(chat, message_id)  # already gone is what we wanted
    assert tg_polling.emulator.messages_in(JOE.id) == []
    tg_polling.emulator.inject("deleteMessage", 403)
    with pytest.raises(DeliveryError) as raised:
        await adapter.delete(chat, "1")
    assert raised.value.kind == FailureKind.BLOCKED


async def test_a_group_that_removed_the_bot_answers_blocked(tg_polling: TgBot) -> None:
    emulator = tg_polling.emulator
    group = emulator.group(-100404, "Former members")
    await emulator.bot_removed(group, JOE)
    with pytest.raises(DeliveryError) as raised:
        await tg_polling.adapter.send(message(group.id))
    assert raised.value.kind == FailureKind.BLOCKED


async def test_a_long_text_is_split_within_the_limit_with_buttons_on_the_last_part(tg_polling: TgBot) -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))  # about 10,000 characters
    buttons = ((Button("Sign", "sign", "L-1"),),)
    last_id = await tg_polling.adapter.send(message(JOE.id, text, buttons=buttons))
    parts = tg_polling.emulator.messages_in(JOE.id)
    assert len(parts) == 3 and all(len(p.text) <= 4096 for p in parts)
    assert "\n".join(p.text for p in parts) == text
    assert [bool(p.reply_markup) for p in parts] == [False, False, True]
    assert last_id == str(parts[-1].message_id)


async def test_escaped_and_right_to_left_parts_stay_within_what_telegram_counts(tg_polling: TgBot) -> None:
    text = "\n".join(["<&>" * 100] * 30)  # 9,029 characters people see, about 36,000 once escaped
    await tg_polling.adapter.send(message(ANA.id, text, rtl=True))
    parts = tg_polling.emulator.messages_in(ANA.id)
    assert len(parts) == 3  # the emulator accepted every part, so each is within 4,096 once parsed
    assert all(p.visible is not None and p.visible.startswith(RLM) for p in parts)
    assert "\n".join((p.visible or "").removeprefix(RLM) for p in parts) == text


@pytest.fixture
async def limited(app: App) -> AsyncIterator[TgBot]:
    """The bot on an emulator enforcing Telegram's limits with windows shrunk ten times."""
    bot = await start_bot(app, emulator=TelegramEmulator(rate_limits=True, time_scale=0.1))
    yield bot
    await bot.close()


async def test_about_one_message_per_second_in_a_private_chat_with_short_bursts(limited: TgBot) -> None:
    adapter, emulator = limited.adapter, limited.emulator
    for n in range(3):  # a short burst is allowed, as Telegram documents
        await adapter.send(message(JOE.id, f"burst {n}"))
    with pytest.raises(DeliveryError) as raised:
        await adapter.send(message(JOE.id, "fourth"))
    assert raised.value.kind == FailureKind.RATE_LIMITED and raised.value.retry_after >= 1  # whole seconds
    assert emulator.rate_limit_hits == 1
    await adapter.send(message(ANA.id, "another chat is not held up"))
    await asyncio.sleep(0.31)  # the scaled window (3 × 0.1 s) has passed
    await adapter.send(message(JOE.id, "fourth, later"))
    assert [m.visible for m in emulator.messages_in(JOE.id)] == [
        "burst 0",
        "burst 1",
        "burst 2",
        "fourth, later",
    ]


async def test_twenty_messages_a_minute_in_a_group(limited: TgBot) -> None:
    for n in range(20):
        await limited.adapter.send(message(GROUP, f"appeal {n}"))
    with pytest.raises(DeliveryError) as raised:
        await limited.adapter.send(message(GROUP, "one too many"))
    assert raised.value.kind == FailureKind.RATE_LIMITED
    assert limited.emulator.rate_limit_hits == 1


async def test_thirty_messages_a_second_overall(app: App) -> None:
    bot = await start_bot(app, emulator=TelegramEmulator(rate_limits=True, time_scale=1.0))
    try:
        results = await asyncio.gather(
            *(bot.adapter.send(message(3000 + n, "hello")) for n in range(31)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, DeliveryError)]
        assert len(refused) == 1 and refused[0].kind == FailureKind.RATE_LIMITED
        assert bot.emulator.rate_limit_hits == 1
    finally:
        await bot.close()
