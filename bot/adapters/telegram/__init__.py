"""Telegram through python-telegram-bot v22: polling or webhook, inline keyboards, the Bot API for sending."""

from __future__ import annotations

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.core.host import Host


def build_telegram_adapter(
    app: Host,
    *,
    webhook_url: str | None = None,
    timeout: float = 10.0,
    connect_timeout: float | None = None,
    poll_timeout: int = 10,
) -> TelegramAdapter:
    """The Telegram adapter for ``app``'s settings (see :class:`TelegramAdapter` for the options)."""
    return TelegramAdapter(
        app,
        webhook_url=webhook_url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        poll_timeout=poll_timeout,
    )


__all__ = ["TelegramAdapter", "build_telegram_adapter"]
