"""Slack request signatures, checked on the raw bytes before anything parses the body."""

from __future__ import annotations

import time
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_AGE = 60 * 5  # Slack's own replay window


def verdict(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> str | None:
    """None when the request is Slack's; otherwise the reason to refuse it, as a fixed phrase.

    The reason never quotes the request (headers and body are the sender's text), so it can be logged.
    """
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        return "unsigned"
    if not timestamp.isascii() or not timestamp.isdigit():
        return "malformed timestamp"
    if abs(time.time() - int(timestamp)) > MAX_AGE:
        return "stale timestamp"
    try:
        valid = verifier.is_valid(body, timestamp, signature)
    except (UnicodeDecodeError, TypeError, ValueError):  # bytes that are not UTF-8, a non-ASCII signature
        valid = False
    return None if valid else "bad signature"
