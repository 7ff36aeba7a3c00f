"""slack-sdk's failures → the neutral :class:`DeliveryError`."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.core import metrics
from bot.core.delivery import DeliveryError, FailureKind

NOT_FOUND = {"channel_not_found", "not_in_channel", "is_archived", "message_not_found"}
BLOCKED = {"account_inactive", "user_disabled", "cannot_dm_bot", "team_access_not_granted"}


def translate(exc: BaseException) -> DeliveryError:
    """Classify a Slack failure so one policy (retry, deactivate, back off) applies."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data
        error = str(data.get("error", "")) if isinstance(data, dict) else ""
        if status == 429:
            retry = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
            result = DeliveryError(FailureKind.RATE_LIMITED, "ratelimited", retry_after=retry)
        elif status >= 500:
            result = DeliveryError(FailureKind.TRANSIENT, f"http {status}")
        elif error in NOT_FOUND:
            result = DeliveryError(FailureKind.NOT_FOUND, error)
        elif error in BLOCKED:
            result = DeliveryError(FailureKind.BLOCKED, error)
        else:
            result = DeliveryError(FailureKind.REJECTED, error or f"http {status}")
    else:  # timeouts, connection errors, malformed answers: worth another try later
        result = DeliveryError(FailureKind.TRANSIENT, type(exc).__name__)
    metrics.labelled(metrics.PLATFORM_ERRORS, "slack", result.kind.value).inc()
    return result
