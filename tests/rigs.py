"""Rigs that run the real client libraries against the project's loopback platform emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from bot.adapters.emulators.slack import SlackEmulator, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.adapters.slack import SlackAdapter, build_slack_adapter
from bot.adapters.telegram import TelegramAdapter, build_telegram_adapter
from bot.app import App, build_app
from bot.web import bound_port, build_web_app, start_site
from tests.conftest import make_settings

WEBHOOK_SECRET = "s3cret-token"


@dataclass
class TelegramRig:
    """The emulator, the bot wired to it, and its adapter."""

    emulator: TelegramEmulator
    app: App
    adapter: TelegramAdapter
    site: web.AppRunner | None = None

    async def close(self) -> None:
        await self.adapter.stop()
        if self.site is not None:
            await self.site.cleanup()
        await self.emulator.stop()
        await self.app.close()


async def telegram_rig(database_url: str, mode: str, **settings: object) -> TelegramRig:
    """Start an emulator and a Telegram-configured bot in ``mode`` (polling or webhook)."""
    emulator = TelegramEmulator(time_scale=0.01)
    url = await emulator.start()
    app = build_app(
        make_settings(
            database_url,
            telegram_token=emulator.token,
            telegram_api_url=url,
            telegram_mode=mode,
            telegram_webhook_secret=WEBHOOK_SECRET,
            **settings,
        )
    )
    adapter = build_telegram_adapter(app, timeout=1.0, poll_timeout=1)
    rig = TelegramRig(emulator, app, adapter)
    if mode == "webhook":
        rig.site = await start_site(build_web_app(app, [adapter]), "127.0.0.1", 0)
        adapter.webhook_url = f"http://127.0.0.1:{bound_port(rig.site)}/telegram/webhook"
    await adapter.start()
    return rig


@pytest.fixture(params=["polling", "webhook"])
async def telegram(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[TelegramRig]:
    """The bot on Telegram, once by long polling and once by webhook."""
    rig = await telegram_rig(sqlite_url, request.param)
    yield rig
    await rig.close()


@pytest.fixture
async def telegram_polling(sqlite_url: str) -> AsyncIterator[TelegramRig]:
    """The bot on Telegram by long polling."""
    rig = await telegram_rig(sqlite_url, "polling")
    yield rig
    await rig.close()


ANA = User(1001, "Ana", "es")
JOE = User(1002, "Joe", "en")


@dataclass
class SlackRig:
    """The Slack emulator, the bot wired to it, its adapter and the bot's HTTP server."""

    emulator: SlackEmulator
    app: App
    adapter: SlackAdapter
    site: web.AppRunner

    async def close(self) -> None:
        await self.adapter.stop()
        await self.site.cleanup()
        await self.emulator.stop()
        await self.app.close()


async def slack_rig(database_url: str, **settings: object) -> SlackRig:
    """Start a Slack emulator and a Slack-configured bot serving ``/slack/events``."""
    emulator = SlackEmulator(time_scale=0.01)
    url = await emulator.start()
    app = build_app(
        make_settings(
            database_url,
            slack_bot_token=emulator.bot_token,
            slack_signing_secret=emulator.signing_secret,
            slack_api_url=url,
            **settings,
        )
    )
    adapter = build_slack_adapter(app, timeout=1.0)
    site = await start_site(build_web_app(app, [adapter]), "127.0.0.1", 0)
    emulator.events_url = f"http://127.0.0.1:{bound_port(site)}/slack/events"
    await adapter.start()
    for user in (MARIA, SAM):
        emulator.add_user(user)
    return SlackRig(emulator, app, adapter, site)


@pytest.fixture
async def slack(sqlite_url: str) -> AsyncIterator[SlackRig]:
    """The bot on Slack over HTTP."""
    rig = await slack_rig(sqlite_url)
    yield rig
    await rig.close()


MARIA = SlackUser("U0MARIA", "María", "es-ES")
SAM = SlackUser("U0SAM", "Sam", "en-US")
