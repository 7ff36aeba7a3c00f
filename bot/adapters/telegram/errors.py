"""python-telegram-bot's exceptions → the neutral :class:`DeliveryError`."""

from __future__ import annotations

from datetime import timedelta

from telegram import error as tg

from bot.core import metrics
from bot.core.delivery import DeliveryError, FailureKind


def translate(exc: tg.TelegramError) -> DeliveryError:
    """Classify a Telegram failure so one policy (retry, deactivate, follow, back off) applies."""
    if isinstance(exc, tg.RetryAfter):
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        result = DeliveryError(FailureKind.RATE_LIMITED, "429", retry_after=seconds)
    elif isinstance(exc, tg.ChatMigrated):
        result = DeliveryError(FailureKind.MIGRATED, "migrated", new_chat_id=str(exc.new_chat_id))
    elif isinstance(exc, tg.Forbidden):
        result = DeliveryError(FailureKind.BLOCKED, "forbidden")
    elif isinstance(exc, tg.BadRequest):
        message = exc.message.lower()
        if "chat not found" in message or "chat_id is empty" in message:
            result = DeliveryError(FailureKind.NOT_FOUND, "chat not found")
        else:
            result = DeliveryError(FailureKind.REJECTED, "bad request")
    elif isinstance(exc, tg.TimedOut | tg.NetworkError):
        result = DeliveryError(FailureKind.TRANSIENT, type(exc).__name__)
    else:
        result = DeliveryError(FailureKind.TRANSIENT, type(exc).__name__)
    metrics.PLATFORM_ERRORS.labels("telegram", result.kind.value).inc()
    return result
