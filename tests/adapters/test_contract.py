"""One contract: the same dialog scenarios through the console, Telegram (polling and webhook) and Slack (HTTP).

Each driver plays one person on its platform and returns the texts that person saw appear (new messages
or edits), exactly as the platform received them — so the scenarios assert what a user sees, everywhere.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Protocol

import pytest

from bot.adapters.console import ConsoleChat
from bot.adapters.emulators.slack import SlackUser
from bot.adapters.emulators.telegram import User
from bot.adapters.telegram.render import RLM
from tests.rigs import SlackRig, TelegramRig, slack_rig, telegram_rig
from tests.support import chat


async def settle(calls: list[object], quiet: float = 0.15) -> None:
    """Wait until the bot has made no new call for ``quiet`` seconds: its answer is complete."""
    seen = -1
    while seen != len(calls):
        seen = len(calls)
        await asyncio.sleep(quiet)


class Driver(Protocol):
    """One person on one platform."""

    async def say(self, text: str) -> list[str]: ...
    async def press(self, label: str) -> list[str]: ...
    async def write(self, text: str) -> list[str]: ...


class ConsoleDriver:
    def __init__(self, console: ConsoleChat) -> None:
        self.console = console

    async def say(self, text: str) -> list[str]:
        return await self.console.say(text)

    async def press(self, label: str) -> list[str]:
        return await self.console.press(label)

    async def write(self, text: str) -> list[str]:
        return await self.say(text)


class TelegramDriver:
    def __init__(self, rig: TelegramRig, user: User) -> None:
        self.rig, self.user = rig, user

    async def _seen(self, act: object) -> list[str]:
        emulator = self.rig.emulator
        before = {m.message_id: m.text for m in emulator.messages_in(self.user.id)}
        calls = len(emulator.calls)
        await act  # type: ignore[misc]
        answers = ("sendMessage", "editMessageText", "answerCallbackQuery")
        await emulator.wait_for(lambda: any(c.method in answers for c in emulator.calls[calls:]))
        await settle(emulator.calls)
        changed = [m for m in emulator.messages_in(self.user.id) if before.get(m.message_id) != m.text]
        return [html.unescape(m.text.removeprefix(RLM)) for m in changed]

    async def say(self, text: str) -> list[str]:
        return await self._seen(self.rig.emulator.user_says(self.user, text))

    async def press(self, label: str) -> list[str]:
        emulator = self.rig.emulator
        message = next(
            m
            for m in reversed(emulator.messages_in(self.user.id))
            if m.reply_markup and m.reply_markup.get("inline_keyboard")
        )
        return await self._seen(emulator.press_button(self.user, message, label))

    async def write(self, text: str) -> list[str]:
        return await self.say(text)


class SlackDriver:
    def __init__(self, rig: SlackRig, user: SlackUser) -> None:
        self.rig, self.user = rig, user
        self.channel = rig.emulator.dm_channel(user)

    async def _seen(self, act: object) -> list[str]:
        emulator = self.rig.emulator
        before = {m.ts: m.text for m in emulator.messages_in(self.channel)}
        calls = len(emulator.calls)
        await act  # type: ignore[misc]
        answers = ("chat.postMessage", "chat.update", "chat.postEphemeral")
        await emulator.wait_for(lambda: any(c.method in answers for c in emulator.calls[calls:]))
        await settle(emulator.calls)
        changed = [m for m in emulator.messages_in(self.channel) if before.get(m.ts) != m.text]
        return [html.unescape(m.text) for m in changed]

    async def say(self, text: str) -> list[str]:
        emulator = self.rig.emulator
        if text.startswith("/"):
            return await self._seen(emulator.slash(self.user, text[1:]))
        return await self._seen(emulator.user_says(self.user, text))

    async def press(self, label: str) -> list[str]:
        emulator = self.rig.emulator
        message = next(m for m in reversed(emulator.messages_in(self.channel)) if m.buttons())
        return await self._seen(emulator.press(self.user, message, label))

    async def write(self, text: str) -> list[str]:
        """A report's written answer: Slack keeps what is typed, so it goes in the form the bot opens."""
        emulator = self.rig.emulator
        views = len(emulator.views)
        message = next(m for m in reversed(emulator.messages_in(self.channel)) if m.buttons())
        await emulator.press(self.user, message, "Write the answer")
        await emulator.wait_for(lambda: len(emulator.views) > views)
        view = emulator.views[-1]
        [key] = [block["block_id"] for block in view["blocks"]]
        return await self._seen(emulator.submit_view(self.user, view["callback_id"], {key: text}))


@pytest.fixture(params=["console", "telegram-polling", "telegram-webhook", "slack-http"])
async def person(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Driver]:
    """A newcomer named Ana whose platform says she writes English."""
    if request.param == "console":
        from bot.app import build_app
        from tests.conftest import make_settings

        app = build_app(make_settings(sqlite_url))
        yield ConsoleDriver(chat(app, "ana", hint="en"))
        await app.close()
    elif request.param.startswith("telegram"):
        rig = await telegram_rig(sqlite_url, request.param.split("-")[1])
        yield TelegramDriver(rig, User(4242, "Ana", "en"))
        await rig.close()
    else:
        srig = await slack_rig(sqlite_url)
        user = srig.emulator.add_user(SlackUser("U0ANA", "Ana", "en-US"))
        yield SlackDriver(srig, user)
        await srig.close()


async def test_onboarding_in_three_languages(person: Driver) -> None:
    [greeting] = await person.say("/start")
    assert greeting.startswith("Hello Ana, this is the SOS bot of the network's Solidarity System.")
    assert await person.press("Español") == ["A partir de ahora le escribiré en Español."]
    [help_text] = await person.say("AYUDA")
    assert help_text.startswith("Está registrado/a como: defensor/a.\nLo que puede hacer:")
    await person.say("/language")
    assert await person.press("العربية") == ["من الآن فصاعدًا سأكتب إليك باللغة \u2068العربية\u2069."]


async def test_join_flow_with_escaping_and_cancel(person: Driver) -> None:
    # The word typed in a private chat is a step-by-step dialog everywhere (Slack's /sos join opens a form instead).
    assert await person.say("JOIN") == [
        "Which organisation do you belong to? Type its full name (or CANCEL)."
    ]
    assert await person.say("<b>Tierra</b> & Co") == ["In which country is <b>Tierra</b> & Co based?"]
    assert await person.say("CANCEL") == ["Cancelled. Nothing was saved."]
    assert await person.say("hello?") == ["I didn't understand that. Type HELP to see what you can do."]


async def test_forget_kept_by_button_and_an_unknown_command(person: Driver) -> None:
    await person.say("/forget")
    assert await person.press("Keep my data") == ["Nothing was erased."]
    assert await person.say("/frobnicate") == ["I don't know that command. Type HELP to see what you can do."]


async def test_a_threat_report_end_to_end(person: Driver) -> None:
    [intro, first] = await person.say("/report")
    assert intro.startswith("You are reporting a threat to the network's secretariat.")
    assert first == "Who is at risk?"
    assert await person.press("Me") == ["Names of the people at risk, if you wish (or - to skip)."]
    await person.write("-")
    assert await person.write("Hond") == ["Where exactly (town, region)?"]  # part of a name finds Honduras
    await person.write("Tegucigalpa")
    await person.press("Criminalisation")
    await person.write("A judge ordered my arrest for leading a protest against the dam.")
    await person.write("Yesterday")
    assert await person.press("Back") == ["When did it happen?"]
    await person.write("Two days ago")
    await person.press("Within days")
    await person.press("Legal support")
    await person.press("Done")
    await person.press("Only in this chat")
    await person.press("The secretariat only")
    [summary] = await person.press("No")
    assert summary.startswith(
        "Please check your report.\nAt risk: Me\nNames: —\nCountry and place: Honduras, Tegucigalpa"
    )
    assert "When: Two days ago" in summary and "Support asked: Legal support" in summary
    [stored] = await person.press("Send the report")
    assert stored.startswith(f"Your report is stored as SOS-{datetime.now(UTC).year}-0001.")
