"""``sosbot demo``: the bot on both loopback emulators, people on Telegram and Slack in several languages.

Everything goes through the real python-telegram-bot and slack-bolt/slack-sdk clients, the HTTP server, the
dispatcher, the store and the outbox worker; the emulators play the people. It ends by itself in seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TextIO

from bot.adapters.emulators.slack import SlackEmulator, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.app import App
from bot.config import SecretariatIdentity
from bot.runner import sandbox
from bot.sandbox import seed

ANA = User(7001, "Ana Morales", "es")  # Telegram, a new member in Guatemala
KARIM = User(7002, "Karim", "ar")  # Telegram, a defender writing in Arabic
SAM = SlackUser("U0SAM", "Sam Okafor", "en-GB")  # Slack, the secretariat
LUIZA = SlackUser("U0LUIZA", "Luiza Prado", "pt-BR")  # Slack, a member writing in Portuguese


class Transcript:
    """Prints each step and what the bot answered on the platform where it happened."""

    def __init__(self, out: TextIO, telegram: TelegramEmulator, slack: SlackEmulator) -> None:
        self.out, self.telegram, self.slack = out, telegram, slack

    async def telegram_step(
        self, user: User, label: str, act: Callable[[], Awaitable[object]], edits: bool = False
    ) -> None:
        """Run a Telegram user's action and print the bot's new (or edited) messages in their chat."""
        before = len(self.telegram.messages_in(user.id))
        calls = len(self.telegram.calls)
        self.out.write(f"[telegram] {user.first_name}> {label}\n")
        await act()
        await self.telegram.wait_for(
            lambda: (
                len(self.telegram.messages_in(user.id)) > before
                or (edits and any(c.method == "editMessageText" for c in self.telegram.calls[calls:]))
            )
        )
        shown = self.telegram.messages_in(user.id)[before:] or self.telegram.messages_in(user.id)[-1:]
        for message in shown:
            self._bot(
                message.text,
                [b["text"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row],
            )

    async def slack_step(
        self, user: SlackUser, label: str, act: Callable[[], Awaitable[object]], edits: bool = False
    ) -> None:
        """Run a Slack user's action and print the bot's new (or edited) messages in their DM."""
        channel = self.slack.dm_channel(user)
        before = len(self.slack.messages_in(channel))
        calls = len(self.slack.calls)
        self.out.write(f"[slack]    {user.name}> {label}\n")
        await act()
        await self.slack.wait_for(
            lambda: (
                len(self.slack.messages_in(channel)) > before
                or (edits and any(c.method == "chat.update" for c in self.slack.calls[calls:]))
            )
        )
        shown = self.slack.messages_in(channel)[before:] or self.slack.messages_in(channel)[-1:]
        for message in shown:
            self._bot(message.text, [b["text"]["text"] for b in message.buttons()])

    def _bot(self, text: str, buttons: list[str]) -> None:
        indented = text.replace("\n", "\n           ")
        self.out.write(f"           bot> {indented}\n")
        if buttons:
            self.out.write("           " + " ".join(f"[{label}]" for label in buttons) + "\n")


async def play(app: App, out: TextIO | None = None) -> int:
    """Play the scenario; returns 0 when every step was answered."""
    out = out or sys.stdout
    app.settings = replace(
        app.settings,
        secretariat=(*app.settings.secretariat, SecretariatIdentity("slack", "T0SANDBOX", SAM.id)),
    )
    app.dispatcher.add_secretariat(app.settings.secretariat)
    await seed(app.sessions)
    async with sandbox(app) as (telegram, slack):
        for user in (SAM, LUIZA):
            slack.add_user(user)
        show = Transcript(out, telegram, slack)
        await show.telegram_step(ANA, "/start", lambda: telegram.user_says(ANA, "/start"))
        greeting = telegram.last_message(ANA.id)
        await show.telegram_step(
            ANA, "(presses Español)", lambda: telegram.press_button(ANA, greeting, "Español"), edits=True
        )
        await show.telegram_step(ANA, "UNIRSE", lambda: telegram.user_says(ANA, "UNIRSE"))
        await show.telegram_step(
            ANA, "Colectivo Tierra y Libertad", lambda: telegram.user_says(ANA, "Colectivo Tierra y Libertad")
        )
        await show.telegram_step(ANA, "Guatemala", lambda: telegram.user_says(ANA, "Guatemala"))
        await show.slack_step(SAM, "/sos orgs", lambda: slack.slash(SAM, "orgs"))
        await show.slack_step(SAM, "/sos verify 6 all", lambda: slack.slash(SAM, "verify 6 all"))
        await show.telegram_step(KARIM, "مساعدة", lambda: telegram.user_says(KARIM, "مساعدة"))
        await show.slack_step(LUIZA, "AJUDA", lambda: slack.user_says(LUIZA, "AJUDA"))
        await show.slack_step(SAM, "/sos people", lambda: slack.slash(SAM, "people"))
    out.write("demo finished: every step was answered\n")
    return 0
