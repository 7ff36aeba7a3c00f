"""Webhook mode registers the bot's public URL with Telegram, with the secret and the update kinds it handles."""

from __future__ import annotations

import logging
import socket

import pytest

from bot.adapters.emulators.telegram import TelegramEmulator
from bot.adapters.telegram import build_telegram_adapter
from bot.adapters.telegram.adapter import ALLOWED_UPDATES
from bot.app import build_app
from bot.config import ConfigError, load_settings
from bot.web import build_web_app, start_site
from storage.crypto import generate_key
from tests.conftest import make_settings
from tests.rigs import JOE, WEBHOOK_SECRET


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_registers_the_public_url_and_says_so(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    emulator = TelegramEmulator(time_scale=0.01)
    api = await emulator.start()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = build_app(
        make_settings(
            sqlite_url,
            telegram_token=emulator.token,
            telegram_api_url=api,
            telegram_mode="webhook",
            telegram_webhook_secret=WEBHOOK_SECRET,
            telegram_webhook_url=base,
        )
    )
    adapter = build_telegram_adapter(app, timeout=1.0)
    site = await start_site(build_web_app(app, [adapter]), "127.0.0.1", port)
    try:
        await adapter.start()
        assert emulator.webhook == (f"{base}/telegram/webhook", WEBHOOK_SECRET)
        (call,) = emulator.calls_to("setWebhook")
        assert sorted(call.params["allowed_updates"]) == sorted(
            ["message", "callback_query", "my_chat_member"]
        )
        assert set(call.params["allowed_updates"]) == set(ALLOWED_UPDATES)
        lines = [r.getMessage() for r in caplog.records if "webhook" in r.getMessage()]
        assert lines == [
            f"telegram webhook registered: {base}/telegram/webhook "
            "(updates: message, callback_query, my_chat_member)"
        ]
        assert not any(WEBHOOK_SECRET in r.getMessage() for r in caplog.records)
        # Telegram now posts to the registered URL with the secret, and the bot answers.
        await emulator.user_says(JOE, "/help")
        await emulator.wait_for(lambda: len(emulator.messages_in(JOE.id)) >= 1)
        assert emulator.webhook_responses == [200]
    finally:
        await adapter.stop()
        await site.cleanup()
        await emulator.stop()
        await app.close()


def test_webhook_mode_without_a_public_url_is_one_clear_line() -> None:
    env = {
        "SOS_TELEGRAM_TOKEN": "1:x",
        "SOS_TELEGRAM_MODE": "webhook",
        "SOS_TELEGRAM_WEBHOOK_SECRET": "s",
        "SOS_DATA_KEY": generate_key(),
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env, dotenv=None)
    assert str(caught.value).startswith("SOS_TELEGRAM_WEBHOOK_URL: required when SOS_TELEGRAM_MODE=webhook")
    assert "\n" not in str(caught.value)
    settings = load_settings({**env, "SOS_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/"}, dotenv=None)
    assert settings.telegram_webhook_url == "https://bot.example.org"


@pytest.mark.parametrize(
    "url", ["http://bot.example.org", "ftp://x", "https://bot.example.org/?a=1", "bot.org"]
)
def test_the_public_url_must_be_https(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SOS_TELEGRAM_WEBHOOK_URL": url}, dotenv=None)
    assert str(caught.value).startswith("SOS_TELEGRAM_WEBHOOK_URL:")
