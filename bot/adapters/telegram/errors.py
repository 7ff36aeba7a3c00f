"""python-telegram-bot's exceptions → the neutral :class:`DeliveryError`."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import error as tg

from bot.core import metrics
from bot.core.delivery import DeliveryError, FailureKind

# Telegram's descriptions of a chat that does not exist (or the bot never saw), lower-cased.
NOT_FOUND_MARKERS = ("chat not found", "chat_id is empty", "peer_id_invalid", "user not found")


def is_not_modified(error: tg.TelegramError) -> bool:
    """An edit that changes nothing: Telegram refuses it, but the message already shows what we want."""
    return isinstance(error, tg.BadRequest) and "message is not modified" in error.message.lower()


def retry_after_seconds(error: tg.RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 gives an int or a timedelta, with a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's deprecation notice about the int form, not our concern
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def classify(error: tg.TelegramError) -> DeliveryError:
    """The neutral failure for a Telegram exception (without counting it)."""
    if isinstance(error, tg.RetryAfter):
        return DeliveryError(FailureKind.RATE_LIMITED, "429", retry_after=retry_after_seconds(error))
    if isinstance(error, tg.ChatMigrated):
        return DeliveryError(FailureKind.MIGRATED, "migrated", new_chat_id=str(error.new_chat_id))
    if isinstance(error, tg.Forbidden):
        return DeliveryError(FailureKind.BLOCKED, "forbidden")
    if isinstance(error, tg.BadRequest):  # before NetworkError: BadRequest is one of its subclasses
        message = error.message.lower()
        if any(marker in message for marker in NOT_FOUND_MARKERS):
            return DeliveryError(FailureKind.NOT_FOUND, "chat not found")
        return DeliveryError(FailureKind.REJECTED, "bad request")
    if isinstance(error, tg.TimedOut):
        return DeliveryError(FailureKind.TRANSIENT, "timed out")
    if isinstance(error, tg.InvalidToken | tg.EndPointNotFound):
        return DeliveryError(
            FailureKind.REJECTED, type(error).__name__
        )  # configuration: retrying cannot help
    # NetworkError (5xx, connection refused), Conflict and anything new: worth retrying with backoff.
    return DeliveryError(FailureKind.TRANSIENT, type(error).__name__)


def translate(error: tg.TelegramError) -> DeliveryError:
    """Classify and count a Telegram failure, so one policy (retry, deactivate, follow, back off) applies."""
    result = classify(error)
    metrics.labelled(metrics.PLATFORM_ERRORS, "telegram", result.kind.value).inc()
    return result
