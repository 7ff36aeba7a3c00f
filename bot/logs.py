"""Logging for the process: event kinds, ids and error kinds only, at every verbosity.

The bot's own modules log no content (see DESIGN.md). Third-party libraries do: python-telegram-bot and
slack-sdk log request parameters (message texts, names) at DEBUG, httpx logs Bot API URLs (they hold the
token) at INFO, aiosqlite and SQLAlchemy log statements with their parameters. Those loggers are capped at
WARNING whatever ``-v`` says, so ``sosbot -v`` shows more of the bot, never a defender's words.
"""

from __future__ import annotations

import logging
import sys

# Libraries whose INFO/DEBUG lines may carry content, tokens or secrets.
CAPPED_LOGGERS: tuple[str, ...] = (
    "telegram",
    "httpx",
    "httpcore",
    "hpack",
    "slack_sdk",
    "slack_bolt",
    "aiohttp",
    "aiohttp.access",
    "asyncio",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "urllib3",
)
# The bolt app's own logger (passed to AsyncApp, so bolt does not copy the root's level onto its loggers).
SLACK_BOLT_LOGGER = "slack_bolt.sos"


def cap_third_party_loggers() -> None:
    """Hold every library logger of :data:`CAPPED_LOGGERS` at WARNING (idempotent)."""
    for name in (*CAPPED_LOGGERS, SLACK_BOLT_LOGGER):
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(verbose: bool) -> None:
    """Log to stderr: the bot at DEBUG with ``-v`` (INFO otherwise), libraries at WARNING always."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    cap_third_party_loggers()
