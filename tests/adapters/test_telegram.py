"""The Telegram adapter on the real python-telegram-bot, against the Bot API emulator."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.adapters.emulators.telegram import User
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import ChatKind, ChatRef, Edit, OutgoingMessage
from storage.models import Channel, Person, ProcessedEvent
from storage.repositories import Store
from tests.clock import YEAR
from tests.rigs import ANA, JOE, WEBHOOK_SECRET, TelegramRig


async def _answered(rig: TelegramRig, chat_id: int, count: int = 1) -> None:
    await rig.emulator.wait_for(lambda: len(rig.emulator.messages_in(chat_id)) >= count)


async def test_start_and_language_button(telegram: TelegramRig) -> None:
    emulator = telegram.emulator
    await emulator.user_says(ANA, "/start")
    await _answered(telegram, ANA.id)
    greeting = emulator.last_message(ANA.id)
    assert greeting.text.startswith("Hola Ana, este es el bot SOS")  # language_code "es" chose Spanish
    assert greeting.parse_mode == "HTML"
    labels = [b["text"] for row in greeting.reply_markup["inline_keyboard"] for b in row]  # type: ignore[index]
    assert labels == ["English", "Español", "Français", "العربية", "Português"]
    await emulator.press_button(ANA, greeting, "Français")
    await emulator.wait_for(lambda: emulator.last_message(ANA.id).edited)
    assert emulator.last_message(ANA.id).text == "Désormais, je vous écrirai en Français."
    assert len(emulator.calls_to("answerCallbackQuery")) == 1
    async with telegram.app.sessions() as session:
        assert (await session.execute(select(Person.language))).scalar_one() == "fr"


async def test_localised_words_and_escaping(telegram: TelegramRig) -> None:
    emulator = telegram.emulator
    await emulator.user_says(JOE, "/join")
    await _answered(telegram, JOE.id)
    await emulator.user_says(JOE, "<b>Tierra</b> & Libertad")
    await _answered(telegram, JOE.id, 2)
    assert (
        emulator.last_message(JOE.id).text
        == "In which country is &lt;b&gt;Tierra&lt;/b&gt; &amp; Libertad based?"
    )


async def test_commands_menu_is_published_per_language(telegram_polling: TelegramRig) -> None:
    menus = telegram_polling.emulator.commands
    assert set(menus) == {"en", "es", "fr", "ar", "pt"}
    assert {"command": "ayuda", "description": "listar los comandos que puede usar"} in menus["es"]
    assert {"command": "help", "description": "عرض الأوامر التي يمكنك استخدامها"} in menus["ar"]
    assert all(c["command"] not in ("verify", "grant") for c in menus["en"])


async def test_group_membership_is_recorded(telegram: TelegramRig) -> None:
    emulator = telegram.emulator
    group = emulator.group(-100200, "Red DESC Américas")
    await emulator.bot_membership(group, JOE, member=True)
    await emulator.wait_for(lambda: True)
    for present in (True, False):
        if not present:
            await emulator.bot_membership(group, JOE, member=False)
        async with telegram.app.sessions() as session:
            for _ in range(50):
                channel = (await session.execute(select(Channel))).scalar_one_or_none()
                if channel is not None and channel.bot_member == present:
                    break
                await session.rollback()
                import asyncio

                await asyncio.sleep(0.02)
        assert channel is not None and channel.title == "Red DESC Américas" and channel.bot_member == present


async def test_webhook_refuses_a_wrong_secret_and_processes_a_replay_once(sqlite_url: str) -> None:
    from tests.rigs import telegram_rig

    rig = await telegram_rig(sqlite_url, "webhook")
    try:
        update = {
            "update_id": 777,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": JOE.id, "type": "private"},
                "from": JOE.as_json(),
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        assert await rig.emulator.post_webhook(update, "wrong") == 401
        assert await rig.emulator.post_webhook(update, None) == 401
        assert rig.emulator.messages_in(JOE.id) == []
        assert await rig.emulator.post_webhook(update, WEBHOOK_SECRET) == 200
        assert await rig.emulator.post_webhook(update, WEBHOOK_SECRET) == 200
        assert len(rig.emulator.messages_in(JOE.id)) == 1
        async with rig.app.sessions() as session:
            assert len((await session.execute(select(ProcessedEvent))).scalars().all()) == 1
            assert await Store(session).events.seen("telegram", "tg:777")
    finally:
        await rig.close()


def _message(chat_id: int, text: str = "Urgent appeal") -> OutgoingMessage:
    kind = ChatKind.PRIVATE if chat_id > 0 else ChatKind.GROUP
    return OutgoingMessage(ChatRef("telegram", str(chat_id), kind=kind), text)


async def test_injected_failures_become_neutral_delivery_errors(telegram_polling: TelegramRig) -> None:
    emulator, adapter = telegram_polling.emulator, telegram_polling.adapter
    cases = [
        ("429", {"retry_after": 7}, FailureKind.RATE_LIMITED),
        ("403", {}, FailureKind.BLOCKED),
        ("chat_not_found", {}, FailureKind.NOT_FOUND),
        ("migrated", {"new_chat_id": -100999}, FailureKind.MIGRATED),
        ("500", {}, FailureKind.TRANSIENT),
        ("502", {}, FailureKind.TRANSIENT),
        ("slow", {"delay": 1.5}, FailureKind.TRANSIENT),
    ]
    for kind, options, expected in cases:
        emulator.inject("sendMessage", kind, **options)
        try:
            await adapter.send(_message(-100123))
        except DeliveryError as error:
            assert error.kind == expected, kind
            if expected == FailureKind.RATE_LIMITED:
                assert error.retry_after == 7
            if expected == FailureKind.MIGRATED:
                assert error.new_chat_id == "-100999"
        else:
            raise AssertionError(f"{kind} did not fail")
    message_id = await adapter.send(_message(-100123))
    await adapter.edit(Edit(ChatRef("telegram", "-100123"), message_id, "Urgent appeal (updated)"))
    await adapter.edit(
        Edit(ChatRef("telegram", "-100123"), message_id, "Urgent appeal (updated)")
    )  # not modified
    assert emulator.last_message(-100123).text == "Urgent appeal (updated)"


async def test_a_failing_reply_does_not_stop_the_bot(telegram_polling: TelegramRig) -> None:
    emulator = telegram_polling.emulator
    emulator.inject("sendMessage", "500")
    await emulator.user_says(JOE, "/help")
    await emulator.wait_for(lambda: len(emulator.calls_to("sendMessage")) >= 1)
    await emulator.user_says(JOE, "/help")
    await _answered(telegram_polling, JOE.id)
    assert emulator.last_message(JOE.id).text.startswith("You are registered as: defender.")


async def test_long_texts_are_split_within_the_limit(telegram_polling: TelegramRig) -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))  # ~10,000 characters
    await telegram_polling.adapter.send(_message(JOE.id, text))
    parts = telegram_polling.emulator.messages_in(JOE.id)
    assert len(parts) == 3 and all(len(p.text) <= 4096 for p in parts)
    assert "\n".join(p.text for p in parts) == text


async def test_a_group_chat_is_not_answered_for_chatter(telegram_polling: TelegramRig) -> None:
    emulator = telegram_polling.emulator
    group = emulator.group(-100300, "Network")
    await emulator.user_says(User(1003, "Zoe"), "hello all", group)
    await emulator.user_says(User(1003, "Zoe"), "/join@sos_bot", group)
    await _answered(telegram_polling, -100300)
    assert [m.text for m in emulator.messages_in(-100300)] == [
        "Please write to me in a private chat for this."
    ]


ANSWERS = ("sendMessage", "editMessageText")


async def test_a_stored_report_is_deleted_from_the_defenders_chat(telegram_polling: TelegramRig) -> None:
    emulator = telegram_polling.emulator
    karim = User(1010, "Karim", "fr")
    steps: list[tuple[str, str]] = [
        ("say", "/report"), ("press", "Moi"), ("say", "-"), ("say", "Liban"), ("say", "Beyrouth"),
        ("press", "Campagne de diffamation ou harcèlement"), ("say", "Des menaces en ligne contre notre collectif."),
        ("say", "Depuis lundi"), ("press", "Continue"), ("press", "Terminé"), ("press", "Uniquement dans cette conversation"),
        ("press", "Le secrétariat uniquement"), ("press", "Non"), ("press", "Envoyer le signalement"),
    ]  # fmt: skip
    for kind, value in steps:
        before = len(emulator.calls)
        if kind == "say":
            await emulator.user_says(karim, value)
        else:
            message = next(m for m in reversed(emulator.messages_in(karim.id)) if m.reply_markup)
            await emulator.press_button(karim, message, value)
        await emulator.wait_for(
            lambda before=before: any(c.method in ANSWERS for c in emulator.calls[before:])
        )
        await asyncio.sleep(0.15)
    # Deletions go through the outbox: the running process's worker makes them, in one batch.
    from bot.core.outbox import OutboxWorker, WorkerConfig

    worker = OutboxWorker(telegram_polling.app.sessions, {"telegram": telegram_polling.adapter},
                          config=WorkerConfig(time_scale=0.01))  # fmt: skip
    await worker.run_until_idle()
    [batch] = emulator.calls_to("deleteMessages")
    assert len(batch.params["message_ids"]) == 5
    typed = [m for m in emulator.messages[karim.id] if not m.from_bot]
    assert [m.deleted for m in typed] == [False] + [True] * 5  # every answer typed; the /report command stays
    assert emulator.last_message(karim.id).text.startswith(
        f"Votre signalement est enregistré sous SOS-{YEAR}-0001."
    )
