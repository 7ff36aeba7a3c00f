"""Fixtures for the Telegram adapter tests: the emulator, the wired bot on it (polling or webhook), helpers.

Import with ``from tests.adapters.telegram_fixtures import *`` so pytest sees the fixtures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.adapters.emulators.telegram import Chat, TelegramEmulator, User
from bot.adapters.telegram import TelegramAdapter, build_telegram_adapter
from bot.app import App
from bot.web import bound_port, build_web_app, start_site

SECRET = "tg-webhook-secret"
TIMEOUT = 1.0  # the adapter's Bot API timeout: a "slow" answer after 1.5 s becomes TimedOut
ANA = User(2001, "Ana", "en")
JOE = User(2002, "Joe", "en", username="joe")


@dataclass
class TgBot:
    """The emulator, the bot wired to it, its adapter, and (webhook mode) the bot's HTTP server."""

    emulator: TelegramEmulator
    app: App
    adapter: TelegramAdapter
    site: web.AppRunner | None = None

    @property
    def webhook_url(self) -> str:
        """Where the bot receives updates in webhook mode."""
        assert self.site is not None
        return f"http://127.0.0.1:{bound_port(self.site)}/telegram/webhook"

    def chat(self, user: User) -> Chat:
        """``user``'s private chat with the bot."""
        return self.emulator.private_chat(user)

    async def say(self, user: User, text: str, chat: Chat | None = None, replies: int = 1) -> None:
        """``user`` writes ``text``; returns when the bot has sent ``replies`` more messages there."""
        where = chat or self.chat(user)
        before = len(self.emulator.messages_in(where.id))
        await self.emulator.user_says(user, where, text)
        await self.emulator.wait_for(lambda: len(self.emulator.messages_in(where.id)) >= before + replies)

    async def close(self) -> None:
        """Stop the adapter, the bot's server and the emulator."""
        await self.adapter.stop()
        if self.site is not None:
            await self.site.cleanup()
        await self.emulator.stop()


async def start_bot(
    app: App, mode: str = "polling", emulator: TelegramEmulator | None = None, **options: Any
) -> TgBot:
    """Point ``app`` at a fresh emulator and start its Telegram adapter in ``mode``."""
    emulator = emulator or TelegramEmulator(time_scale=0.01)
    url = await emulator.start()
    app.settings = replace(
        app.settings,
        telegram_token=emulator.token,
        telegram_api_url=url,
        telegram_mode=mode,
        telegram_webhook_secret=SECRET,
    )
    adapter = build_telegram_adapter(app, timeout=TIMEOUT, poll_timeout=1, **options)
    bot = TgBot(emulator, app, adapter)
    if mode == "webhook":
        bot.site = await start_site(build_web_app(app, [adapter]), "127.0.0.1", 0)
        adapter.webhook_url = bot.webhook_url
    await adapter.start()
    return bot


@pytest.fixture
async def tg_polling(app: App) -> AsyncIterator[TgBot]:
    """The bot on Telegram by long polling."""
    bot = await start_bot(app, "polling")
    yield bot
    await bot.close()


@pytest.fixture
async def tg_webhook(app: App) -> AsyncIterator[TgBot]:
    """The bot on Telegram by webhook on its own aiohttp server."""
    bot = await start_bot(app, "webhook")
    yield bot
    await bot.close()


@pytest.fixture(params=["polling", "webhook"])
async def tg_bot(request: pytest.FixtureRequest, app: App) -> AsyncIterator[TgBot]:
    """The bot on Telegram, once by long polling and once by webhook."""
    bot = await start_bot(app, request.param)
    yield bot
    await bot.close()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 3.0) -> None:
    """Wait until an async ``check`` holds (for state the bot writes to the store, not to the emulator)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        await asyncio.sleep(0.02)


async def count(app: App, model: Any) -> int:
    """Rows of ``model`` in the store."""
    async with app.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


__all__ = [
    "ANA",
    "JOE",
    "SECRET",
    "TIMEOUT",
    "TgBot",
    "count",
    "eventually",
    "start_bot",
    "tg_bot",
    "tg_polling",
    "tg_webhook",
]
