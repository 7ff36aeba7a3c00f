"""Slack signatures are checked on the raw bytes before anything parses or logs the body."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import aiohttp
import pytest

from bot.logs import cap_third_party_loggers
from tests.rigs import SlackRig

MARKER = "QZX-FORGED-7731"


async def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status


def _signed(secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def _records_mentioning(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage() or text in str(r.args)]


async def test_a_forged_megabyte_with_a_stale_timestamp_is_one_line_without_body(
    slack: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    cap_third_party_loggers()
    caplog.set_level(logging.DEBUG)
    url = slack.emulator.events_url
    assert url is not None
    body = ("payload=" + (MARKER + " ") * (1_000_000 // (len(MARKER) + 1))).encode()
    stale = str(int(time.time()) - 600)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers |= _signed(slack.emulator.signing_secret, body, stale)
    caplog.clear()
    assert await _post(url, body, headers) == 401
    refusals = [r for r in caplog.records if "slack request refused" in r.getMessage()]
    assert [r.getMessage() for r in refusals] == [
        f"slack request refused: stale timestamp ({len(body)} bytes)"
    ]
    assert _records_mentioning(caplog, MARKER) == []
    assert slack.emulator.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"\xff\xfe not utf-8 {{{", {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=x"}),
        (b"\xff\xfe not utf-8 {{{", {"X-Slack-Request-Timestamp": "TS", "X-Slack-Signature": "v0=ab"}),
        (
            b'{"type": "event_callback", "event": ',
            {"X-Slack-Request-Timestamp": "TS", "X-Slack-Signature": "é"},
        ),
        (b"payload=%7B%22type", {}),
    ],
)
async def test_malformed_unauthenticated_bodies_are_refused_not_parsed(
    slack: SlackRig, caplog: pytest.LogCaptureFixture, body: bytes, headers: dict[str, str]
) -> None:
    cap_third_party_loggers()
    caplog.set_level(logging.DEBUG)
    url = slack.emulator.events_url
    assert url is not None
    headers = {k: v.replace("TS", str(int(time.time()))) for k, v in headers.items()}
    caplog.clear()
    assert await _post(url, body, {"Content-Type": "application/json", **headers}) == 401
    assert [r.levelno for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len([r for r in caplog.records if "slack request refused" in r.getMessage()]) == 1
    assert _records_mentioning(caplog, "utf-8 {{{") == []
