"""Telegram through python-telegram-bot v22: polling or webhook, inline keyboards, the Bot API for sending."""

from __future__ import annotations

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.app import App


def build_telegram_adapter(app: App, **options: object) -> TelegramAdapter:
    """The Telegram adapter for ``app``'s settings (options: webhook_url, timeout, poll_timeout)."""
    return TelegramAdapter(app, **options)  # type: ignore[arg-type]


__all__ = ["TelegramAdapter", "build_telegram_adapter"]
