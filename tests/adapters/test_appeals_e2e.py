"""An urgent appeal end to end on both platforms: registered channels and a subscriber receive it in their
language through the outbox worker; "I acted" is counted; an update edits every delivered copy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.emulators.slack import SlackEmulator, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.app import App, build_app
from bot.config import SecretariatIdentity
from bot.runner import sandbox
from tests.clock import YEAR
from tests.conftest import make_settings

SAM = SlackUser("U0SAM", "Sam", "en-US")
TG_SECRETARIAT = User(9001, "Amina", "ar")
KARIM = User(9002, "Karim", "ar")
GROUP = -100777


@pytest.fixture
async def network(sqlite_url: str) -> AsyncIterator[tuple[App, TelegramEmulator, SlackEmulator]]:
    app = build_app(
        make_settings(
            sqlite_url,
            http_port=0,
            secretariat=(
                SecretariatIdentity("slack", "T0SANDBOX", SAM.id),
                SecretariatIdentity("telegram", "", "9001"),
            ),
        )
    )
    async with sandbox(app) as (telegram, slack):
        slack.add_user(SAM)
        yield app, telegram, slack
    await app.close()


async def sam(slack: SlackEmulator, text: str, *, slash: bool = False) -> str:
    """Sam types in his DM with the bot (or a /sos command); returns the bot's answer."""
    channel = slack.dm_channel(SAM)
    before = len(slack.messages_in(channel))
    await (slack.slash(SAM, text) if slash else slack.user_says(SAM, text))
    await slack.wait_for(lambda: len(slack.messages_in(channel)) > before)
    return slack.last_message(channel).text


async def sam_presses(slack: SlackEmulator, label: str, until: str) -> str:
    """Sam presses ``label`` on the latest message of his DM; returns the answer once it reads ``until``."""
    channel = slack.dm_channel(SAM)
    await slack.wait_for(
        lambda: any(b["text"]["text"] == label for b in slack.last_message(channel).buttons())
    )
    await slack.press(SAM, slack.last_message(channel), label)
    await slack.wait_for(lambda: any(m.text == until for m in slack.messages_in(channel)), timeout=5)
    return until


def acted_label(message_markup: dict | None) -> str:  # type: ignore[type-arg]
    return str((message_markup or {})["inline_keyboard"][0][0]["text"])


async def test_appeal_on_telegram_and_slack(network: tuple[App, TelegramEmulator, SlackEmulator]) -> None:
    _app, telegram, slack = network
    group = telegram.group(GROUP, "Red DESC Américas")
    await telegram.user_says(TG_SECRETARIAT, "/channel member es americas", group)
    await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 1)
    # Amina reads Arabic, whatever the channel's language will be.
    assert (
        telegram.last_message(GROUP).text
        == "\u200fهذه المحادثة الآن قناة أعضاء (\u2068الإسبانية، الأمريكتان\u2069)."
    )
    mention = {
        "type": "app_mention",
        "channel": "C0AFRICA",
        "user": SAM.id,
        "text": "<@U0BOT> channel member fr africa",
        "ts": "1.1",
    }
    await slack.send_event(mention)
    await slack.wait_for(lambda: len(slack.messages_in("C0AFRICA")) == 1)
    await telegram.user_says(KARIM, "/subscribe")  # only members subscribe: Karim is told to JOIN
    await telegram.wait_for(lambda: len(telegram.messages_in(KARIM.id)) == 1)
    async with _app.sessions() as session, session.begin():
        from sqlalchemy import select

        from storage.models import Identity, Person, Role

        identity = (
            await session.execute(select(Identity).where(Identity.user_id == str(KARIM.id)))
        ).scalar_one()
        karim = await session.get(Person, identity.person_id)
        assert karim is not None
        karim.role = Role.MEMBER  # as after JOIN
    await telegram.user_says(KARIM, "/subscribe")
    await telegram.wait_for(lambda: len(telegram.messages_in(KARIM.id)) == 2)

    assert await sam(slack, "appeal new", slash=True) == "New urgent appeal. Title? (or CANCEL)"
    await sam(slack, "Community leader detained")
    await sam(slack, "Detained at dawn by police after a land-rights assembly.")
    await sam(slack, "Call the governor's office and share the statement.")
    assert (await sam(slack, "-")).startswith(f"UA-{YEAR}-001 saved (English).")
    await sam(slack, f"appeal translate UA-{YEAR}-001 es", slash=True)
    await sam(slack, "Líder comunitario detenido")
    await sam(slack, "Detenido al amanecer por la policía.")
    await sam(slack, "Llamen a la oficina del gobernador.")
    assert (await sam(slack, f"appeal send UA-{YEAR}-001", slash=True)).startswith("Warning: 2 targets")
    await sam_presses(slack, "Send anyway", f"UA-{YEAR}-001 is on its way to 3 targets.")

    await telegram.wait_for(
        lambda: len(telegram.messages_in(GROUP)) == 2 and len(telegram.messages_in(KARIM.id)) == 3
    )
    await slack.wait_for(lambda: len(slack.messages_in("C0AFRICA")) == 2)
    spanish = telegram.last_message(GROUP)
    assert spanish.text.startswith(f"🚨 Llamamiento urgente UA-{YEAR}-001\nLíder comunitario detenido")
    assert acted_label(spanish.reply_markup) == "Ya actué"
    arabic = telegram.last_message(KARIM.id)
    assert arabic.text.startswith(
        f"\u200f🚨 نداء عاجل \u2068UA-{YEAR}-001\u2069\nCommunity leader detained"
    )  # fallback text
    french = slack.last_message("C0AFRICA")
    assert french.text.startswith(f"🚨 Appel urgent UA-{YEAR}-001\nCommunity leader detained")
    assert [b["text"]["text"] for b in french.buttons()] == ["J’ai agi"]

    await telegram.press_button(KARIM, arabic, "لقد تحرّكت")
    await telegram.wait_for(
        lambda: any(c.params.get("text") for c in telegram.calls_to("answerCallbackQuery"))
    )
    answered = [
        c.params.get("text") for c in telegram.calls_to("answerCallbackQuery") if c.params.get("text")
    ]
    assert answered == ["شكرًا لك! ترى الأمانة أنك تحرّكت."]
    await slack.press(SAM, french, "J’ai agi")
    await slack.wait_for(lambda: len(slack.calls_to("chat.postEphemeral")) == 1)

    await sam(slack, f"appeal update UA-{YEAR}-001 en", slash=True)
    await sam(slack, "Community leader released on bail")
    await sam(slack, "Released on bail; charges stand.")
    assert await sam(slack, "Keep calling the governor's office.") == "3 copies will be updated."
    await telegram.wait_for(lambda: telegram.last_message(KARIM.id).edited, timeout=5)
    await slack.wait_for(lambda: slack.last_message("C0AFRICA").edited, timeout=5)
    assert slack.last_message("C0AFRICA").text.startswith(
        f"MIS À JOUR\n🚨 Appel urgent UA-{YEAR}-001\nCommunity leader released"
    )
    await telegram.wait_for(lambda: telegram.last_message(GROUP).edited, timeout=5)
    assert telegram.last_message(GROUP).text.startswith(
        f"ACTUALIZADO\n🚨 Llamamiento urgente UA-{YEAR}-001\nLíder comunitario detenido"
    )

    status = await sam(slack, f"appeal status UA-{YEAR}-001", slash=True)
    assert status.startswith(f"UA-{YEAR}-001 (updated): 3 sent, 0 pending, 0 failed")
    assert (
        "• Slack: 1 sent, 0 pending, 0 failed" in status
        and "• Telegram: 2 sent, 0 pending, 0 failed" in status
    )
    assert status.endswith("2 people said they acted.")


async def test_a_lost_target_is_deactivated_and_the_secretariat_told(
    network: tuple[App, TelegramEmulator, SlackEmulator],
) -> None:
    app, telegram, slack = network
    group = telegram.group(GROUP, "Red DESC Américas")
    await telegram.user_says(TG_SECRETARIAT, "/channel member es americas", group)
    await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 1)
    telegram.inject("sendMessage", "403", chat_id=GROUP)
    await sam(slack, "appeal new", slash=True)
    for answer in ("Title", "What happened", "What to do", "-"):
        await sam(slack, answer)
    assert (await sam(slack, f"appeal send UA-{YEAR}-001", slash=True)).startswith("Warning: 1 target")
    await sam_presses(slack, "Send anyway", f"UA-{YEAR}-001 is on its way to 1 target.")
    channel = slack.dm_channel(SAM)
    await slack.wait_for(
        lambda: any(
            m.text.startswith(f"Urgent appeal UA-{YEAR}-001 could not") for m in slack.messages_in(channel)
        ),
        timeout=5,
    )
    await slack.wait_for(
        lambda: any(m.edited and "1 failed" in m.text for m in slack.messages_in(channel)), timeout=8
    )  # the live status caught up too
    assert next(
        m.text
        for m in slack.messages_in(channel)
        if m.text.startswith(f"Urgent appeal UA-{YEAR}-001 could not")
    ) == (
        f"Urgent appeal UA-{YEAR}-001 could not be delivered to Red DESC Américas on Telegram: the bot was "
        "blocked or removed. Nothing more will be sent there until it is registered again."
    )
    status = await sam(slack, f"appeal status UA-{YEAR}-001", slash=True)
    assert (
        status.startswith(f"UA-{YEAR}-001 (sent): 0 sent, 0 pending, 1 failed")
        and "Failures: the bot was blocked or removed ×1" in status
    )
    async with app.sessions() as session:
        from sqlalchemy import select

        from storage.models import Channel

        assert (await session.execute(select(Channel.active))).scalar_one() is False
