"""People talking to the bot on Telegram: the real python-telegram-bot client against the Bot API emulator,
the real dispatcher and store, by long polling and by webhook."""

from __future__ import annotations

import html
import re

import aiohttp
import pytest
from sqlalchemy import select

from bot.adapters.emulators.telegram import User
from bot.adapters.telegram import build_telegram_adapter
from bot.app import build_app
from bot.config import LANGUAGES, SecretariatIdentity
from bot.core import metrics
from bot.core.i18n import Translator, translator
from handlers.labels import role_label
from storage.models import Channel, Person, ProcessedEvent, Role
from storage.repositories import Store
from tests.adapters.telegram_fixtures import *  # noqa: F403
from tests.adapters.telegram_fixtures import ANA, JOE, SECRET, TgBot, count, eventually, start_bot
from tests.conftest import make_settings
from tests.support import people

LANGUAGE_LABELS = ["English", "Español", "Français", "العربية", "Português"]


async def test_start_offers_five_languages_and_a_press_switches_to_spanish(tg_bot: TgBot) -> None:
    emulator, chat = tg_bot.emulator, tg_bot.chat(ANA)
    await tg_bot.say(ANA, "/start")
    greeting = emulator.last_message(ANA.id)
    assert greeting.parse_mode == "HTML"
    assert greeting.visible is not None
    assert greeting.visible.startswith("Hello Ana, this is the SOS bot of the network's Solidarity System.")
    assert greeting.visible.endswith("Type HELP to see what you can do. Choose your language:")
    assert [b["text"] for b in greeting.buttons()] == LANGUAGE_LABELS
    assert [b["callback_data"] for b in greeting.buttons()] == [f"lang:{code}" for code in LANGUAGES]

    await emulator.press(ANA, chat, greeting.message_id, "lang:es")
    await emulator.wait_for(lambda calls: any(c.method == "editMessageText" for c in calls))
    await emulator.wait_for(lambda: len(emulator.callback_answers) == 1)
    edited = emulator.last_message(ANA.id)
    assert edited.message_id == greeting.message_id and edited.edited
    spanish = Translator("es").gettext("From now on I will write to you in {language}.", language="Español")
    assert edited.text == html.escape(spanish, quote=False)
    assert edited.reply_markup is None  # the language buttons are gone
    assert len(emulator.calls_to("answerCallbackQuery")) == 1
    async with tg_bot.app.sessions() as session:
        assert (await session.execute(select(Person.language))).scalar_one() == "es"


async def test_a_press_by_webhook_is_answered_in_the_webhook_reply(tg_webhook: TgBot) -> None:
    emulator, chat = tg_webhook.emulator, tg_webhook.chat(ANA)
    await tg_webhook.say(ANA, "/start")
    greeting = emulator.last_message(ANA.id)
    await emulator.press(ANA, chat, greeting.message_id, "lang:ar")
    await emulator.wait_for(lambda: len(emulator.callback_answers) == 1)
    [answer] = emulator.calls_to("answerCallbackQuery")
    assert answer.in_webhook_answer  # no request of its own: the answer rode on the webhook's reply
    arabic = Translator("ar").gettext("From now on I will write to you in {language}.", language="العربية")
    assert emulator.last_message(ANA.id).visible == "\u200f" + arabic  # right-to-left, marked as such


async def test_a_press_by_long_polling_is_answered_by_a_request(tg_polling: TgBot) -> None:
    emulator, chat = tg_polling.emulator, tg_polling.chat(ANA)
    await tg_polling.say(ANA, "/start")
    await emulator.press(ANA, chat, emulator.last_message(ANA.id).message_id, "lang:fr")
    await emulator.wait_for(lambda: len(emulator.callback_answers) == 1)
    [answer] = emulator.calls_to("answerCallbackQuery")
    assert not answer.in_webhook_answer


async def test_webhook_is_registered_with_the_secret(tg_webhook: TgBot) -> None:
    [call] = tg_webhook.emulator.calls_to("setWebhook")
    assert call.params["url"] == tg_webhook.webhook_url
    assert call.params["secret_token"] == SECRET
    assert tg_webhook.emulator.calls_to("getUpdates") == []


def _help_update(update_id: int, user: User) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_webhook_refuses_forged_posts_and_processes_a_replay_once(tg_webhook: TgBot) -> None:
    emulator, app = tg_webhook.emulator, tg_webhook.app
    update = _help_update(9001, JOE)
    assert await emulator.post_webhook(update, "not-the-secret") == 401
    assert await emulator.post_webhook(update, None) == 401
    async with aiohttp.ClientSession() as session:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(tg_webhook.webhook_url, data=b"{not json", headers=headers) as response:
            assert response.status == 400
    assert emulator.calls_to("sendMessage") == []
    assert await count(app, ProcessedEvent) == 0 and await count(app, Person) == 0

    assert await emulator.post_webhook(update, SECRET) == 200
    assert await emulator.post_webhook(update, SECRET) == 200  # Telegram redelivers after a lost answer
    assert len(emulator.messages_in(JOE.id)) == 1
    assert emulator.last_message(JOE.id).text.startswith("You are registered as: defender.")
    async with app.sessions() as session:
        assert len((await session.execute(select(ProcessedEvent))).scalars().all()) == 1
        assert await Store(session).events.seen("telegram", "tg:9001")


async def test_an_update_redelivered_after_a_restart_is_processed_once(tg_polling: TgBot) -> None:
    emulator, app = tg_polling.emulator, tg_polling.app
    await emulator.push(_help_update(500, JOE), update_id=500)
    await emulator.wait_for(lambda: len(emulator.messages_in(JOE.id)) == 1)
    await tg_polling.adapter.stop()
    duplicates = _duplicates()
    # The bot died before confirming: Telegram hands the same update to the next process.
    await emulator.push(_help_update(500, JOE), update_id=500)
    tg_polling.adapter = build_telegram_adapter(app, timeout=1.0, poll_timeout=1)
    await tg_polling.adapter.start()
    await emulator.wait_for(lambda calls: any(c.params.get("offset") == 501 for c in calls[-3:]))
    await tg_polling.say(ANA, "/help")  # processed after the redelivery, so the redelivery was seen
    assert len(emulator.messages_in(JOE.id)) == 1
    assert await count(app, ProcessedEvent) == 2
    assert _duplicates() == duplicates + 1  # the redelivery reached the dispatcher, which skipped it


def _duplicates() -> float:
    value = metrics.REGISTRY.get_sample_value("sos_duplicate_events_total", {"platform": "telegram"})
    return value or 0.0


async def test_commands_in_groups_only_when_addressed_to_this_bot(tg_polling: TgBot) -> None:
    emulator = tg_polling.emulator
    group = emulator.group(-100321, "Network")
    await emulator.user_says(JOE, group, "/help@other_bot")
    await emulator.user_says(JOE, group, "hello everyone")
    await tg_polling.say(JOE, "/help@sos_bot", group)
    [answer] = emulator.messages_in(group.id)
    assert answer.visible is not None and answer.visible.startswith("You are registered as: defender.")


async def test_an_organisation_name_is_shown_back_escaped(tg_bot: TgBot) -> None:
    await tg_bot.say(JOE, "/join")
    await tg_bot.say(JOE, "<b>x</b> & Co")
    question = tg_bot.emulator.last_message(JOE.id)
    assert question.text == "In which country is &lt;b&gt;x&lt;/b&gt; &amp; Co based?"
    assert question.visible == "In which country is <b>x</b> & Co based?"  # what Joe sees, literally


@pytest.mark.parametrize(
    ("method", "kind", "options"),
    [
        ("sendMessage", 429, {"retry_after": 3}),
        ("sendMessage", 403, {}),
        ("sendMessage", 500, {}),
        ("sendMessage", "chat_not_found", {}),
        ("sendMessage", "slow", {"delay": 1.5}),
    ],
)
async def test_a_failing_reply_does_not_stop_the_bot(
    tg_polling: TgBot, method: str, kind: str | int, options: dict[str, float]
) -> None:
    emulator = tg_polling.emulator
    emulator.inject(method, kind, chat_id=JOE.id, **options)  # type: ignore[arg-type]
    await emulator.user_says(JOE, tg_polling.chat(JOE), "/help")
    await emulator.wait_for(lambda: len(emulator.calls_to(method)) == 1)
    await emulator.user_says(JOE, tg_polling.chat(JOE), "/start")
    await emulator.wait_for(
        lambda: any((m.visible or "").startswith("Hello Joe") for m in emulator.messages_in(JOE.id))
    )


async def test_a_button_press_is_answered_even_when_the_edit_fails(tg_polling: TgBot) -> None:
    emulator, chat = tg_polling.emulator, tg_polling.chat(ANA)
    await tg_polling.say(ANA, "/language")
    emulator.inject("editMessageText", 500)
    await emulator.press(ANA, chat, emulator.last_message(ANA.id).message_id, "lang:pt")
    await emulator.wait_for(lambda: len(emulator.callback_answers) == 1)
    await tg_polling.say(ANA, "/help")  # the next update is still processed, in the language chosen
    portuguese = Translator("pt")
    expected = portuguese.gettext(
        "You are registered as: {role}.", role=role_label(portuguese, Role.DEFENDER)
    )
    assert (emulator.last_message(ANA.id).visible or "").startswith(expected)
    async with tg_polling.app.sessions() as session:
        assert (await session.execute(select(Person.language))).scalar_one() == "pt"


async def test_an_expired_button_is_answered_with_a_notice(tg_polling: TgBot) -> None:
    emulator, chat = tg_polling.emulator, tg_polling.chat(ANA)
    await tg_polling.say(ANA, "/start")
    await emulator.press(ANA, chat, emulator.last_message(ANA.id).message_id, "nothing-here:1")
    await emulator.wait_for(lambda: len(emulator.callback_answers) == 1)
    assert list(emulator.callback_answers.values()) == ["This button has expired."]


async def test_group_and_channel_membership_is_recorded(tg_bot: TgBot) -> None:
    emulator, app = tg_bot.emulator, tg_bot.app
    group, channel = emulator.group(-100200, "Red DESC Américas"), emulator.channel(-100300, "Alerts")

    async def rows() -> dict[str, tuple[str | None, bool]]:
        async with app.sessions() as session:
            found = (await session.execute(select(Channel))).scalars().all()
            return {c.chat_id: (c.title, c.bot_member) for c in found if c.platform == "telegram"}

    async def recorded(group_member: bool) -> bool:
        return await rows() == {"-100200": ("Red DESC Américas", group_member), "-100300": ("Alerts", True)}

    await emulator.bot_added(group, JOE)
    await emulator.bot_added(channel, JOE)
    await eventually(lambda: recorded(True))
    await emulator.bot_removed(group, JOE)
    await eventually(lambda: recorded(False))
    await emulator.user_blocks_bot(ANA)  # a private chat is not a channel
    await tg_bot.say(JOE, "/help")  # processed after the block, so the block was seen
    assert set(await rows()) == {"-100200", "-100300"}


async def test_the_command_menu_is_published_in_every_language(tg_polling: TgBot) -> None:
    emulator, router = tg_polling.emulator, tg_polling.app.dispatcher.router
    assert sorted(c.params["language_code"] for c in emulator.calls_to("setMyCommands")) == sorted(LANGUAGES)
    public = {
        name: route.summary
        for name, route in router.commands.items()
        if route.summary and Role.DEFENDER in route.roles
    }
    for language in LANGUAGES:
        menu = emulator.commands[language]
        assert all(re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]) for c in menu)
        descriptions = sorted(c["description"] for c in menu)
        assert descriptions == sorted(translator(language).gettext(s) for s in public.values() if s)
    english = {c["command"]: c["description"] for c in emulator.commands["en"]}
    assert english["help"] == "list the commands you can use"
    assert english["start"] == "introduce the bot and what it stores"
    assert "verify" not in english and "grant" not in english  # secretariat-only commands stay hidden


async def test_a_telegram_secretariat_member_sees_the_secretariat_commands(sqlite_url: str) -> None:
    amina = User(2009, "Amina", "en")
    app = build_app(
        make_settings(sqlite_url, secretariat=(SecretariatIdentity("telegram", "", str(amina.id)),))
    )
    await people(app)
    bot = await start_bot(app)
    try:
        await bot.say(amina, "/help")
        await bot.say(JOE, "/help")
        amina_help = bot.emulator.last_message(amina.id).visible or ""
        joe_help = bot.emulator.last_message(JOE.id).visible or ""
        assert amina_help.startswith("You are registered as: secretariat.") and "VERIFY" in amina_help
        assert joe_help.startswith("You are registered as: defender.") and "VERIFY" not in joe_help
    finally:
        await bot.close()
        await app.close()
