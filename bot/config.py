"""Operator configuration: every environment variable of the contract, validated at start.

A bad value raises :class:`ConfigError` whose message is one line naming the variable; the CLI prints that
line and exits, so an operator never has to read a traceback to fix a deployment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from storage.errors import ConfigError  # raised by the keyring too; defined below the layers that raise it
from storage.languages import LANGUAGES  # re-exported: the network's five languages

PLATFORMS: tuple[str, ...] = ("telegram", "slack", "console")
KNOWN_VARIABLES: frozenset[str] = frozenset(
    {
        "SOS_DATABASE_URL",
        "SOS_TELEGRAM_TOKEN",
        "SOS_TELEGRAM_API_URL",
        "SOS_TELEGRAM_MODE",
        "SOS_TELEGRAM_WEBHOOK_SECRET",
        "SOS_TELEGRAM_WEBHOOK_URL",
        "SOS_SLACK_BOT_TOKEN",
        "SOS_SLACK_SIGNING_SECRET",
        "SOS_SLACK_APP_TOKEN",
        "SOS_SLACK_API_URL",
        "SOS_HTTP_HOST",
        "SOS_HTTP_PORT",
        "SOS_DATA_KEY",
        "SOS_SECRETARIAT",
        "SOS_DEFAULT_LANGUAGE",
        "SOS_RETENTION_DAYS",
        "SOS_URGENT_ALERT_MINUTES",
        "SOS_UNANSWERED_CASE_HOURS",
        "SOS_REPORTS_PER_HOUR",
        "SOS_DASHBOARD_URL",
    }
)
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./sos.db"
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


@dataclass(frozen=True)
class SecretariatIdentity:
    """One bootstrap secretariat identity from ``SOS_SECRETARIAT`` (e.g. ``slack:T01/U02``)."""

    platform: str
    workspace: str
    user_id: str


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one bot process."""

    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: str | None = None
    telegram_api_url: str | None = None
    telegram_mode: str = "polling"
    telegram_webhook_secret: str | None = None
    telegram_webhook_url: str | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    data_keys: tuple[str, ...] = ()
    secretariat: tuple[SecretariatIdentity, ...] = ()
    default_language: str = "en"
    retention_days: int = 365
    urgent_alert_minutes: int = 15
    unanswered_case_hours: int = 2
    reports_per_hour: int = 3
    # Where people reach this server from a browser (the dashboard's links); by default the HTTP address.
    dashboard_url: str | None = None
    # Set by sandbox mode once it points the platforms at its loopback emulators (still the sandbox).
    emulated: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def telegram_enabled(self) -> bool:
        """Telegram is on when a bot token is configured."""
        return bool(self.telegram_token)

    @property
    def slack_enabled(self) -> bool:
        """Slack is on when a bot token is configured (HTTP or Socket Mode)."""
        return bool(self.slack_bot_token)

    @property
    def sandbox(self) -> bool:
        """No platform configured: run the loopback emulators and the console."""
        return self.emulated or not (self.telegram_enabled or self.slack_enabled)


def read_dotenv(path: Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines of a ``.env`` file; comments and blank lines are skipped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def _parse_secretariat(raw: str) -> tuple[SecretariatIdentity, ...]:
    identities = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        platform, sep, rest = item.partition(":")
        if not sep or platform not in PLATFORMS or not rest:
            raise ConfigError(
                f"SOS_SECRETARIAT: '{item}' is not platform:id (e.g. telegram:12345, slack:T01/U02, console:ana)"
            )
        workspace, slash, user_id = rest.rpartition("/")
        if platform == "slack" and not slash:
            raise ConfigError(
                f"SOS_SECRETARIAT: Slack identity '{item}' needs workspace/user, e.g. slack:T01/U02"
            )
        identities.append(SecretariatIdentity(platform, workspace, user_id))
    return tuple(identities)


def _parse_port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"SOS_HTTP_PORT: '{raw}' is not a TCP port (1-65535)")
    return int(raw)


def _parse_url(name: str, raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: '{raw}' must be an http:// or https:// URL")
    return raw


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _parse_webhook_base(raw: str | None) -> str | None:
    """The public base URL Telegram posts to: https (plain http only for a loopback test server), no query."""
    if raw is None:
        return None
    name = "SOS_TELEGRAM_WEBHOOK_URL"
    scheme, sep, rest = raw.partition("://")
    host = rest.split("/", 1)[0].rsplit(":", 1)[0] if sep else ""
    if scheme != "https" and not (scheme == "http" and host in LOOPBACK_HOSTS):
        raise ConfigError(
            f"{name}: '{raw}' must be an https:// URL (Telegram posts webhooks over HTTPS only)"
        )
    if not host or "?" in rest or "#" in rest:
        raise ConfigError(f"{name}: '{raw}' must be a base URL like https://bot.example.org (no query)")
    return raw.rstrip("/")


def _parse_positive(name: str, raw: str, unit: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}: '{raw}' must be a positive whole number of {unit}")
    return int(raw)


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Build :class:`Settings` from the environment (and a ``.env`` file, which the environment overrides).

    Raises:
        ConfigError: on the first unknown ``SOS_*`` variable or invalid value.
    """
    env: dict[str, str] = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ if environ is None else environ)
    for key in env:
        if key.startswith("SOS_") and key not in KNOWN_VARIABLES:
            raise ConfigError(f"{key}: unknown variable (known: {', '.join(sorted(KNOWN_VARIABLES))})")

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else None

    database_url = get("SOS_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(tuple(f"{scheme}://" for scheme in SUPPORTED_DB_SCHEMES)):
        raise ConfigError(
            f"SOS_DATABASE_URL: '{database_url.split('://')[0]}' is not supported "
            f"(use {' or '.join(SUPPORTED_DB_SCHEMES)})"
        )
    mode = get("SOS_TELEGRAM_MODE") or "polling"
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"SOS_TELEGRAM_MODE: '{mode}' must be polling or webhook")
    token = get("SOS_TELEGRAM_TOKEN")
    if token and mode == "webhook" and not get("SOS_TELEGRAM_WEBHOOK_SECRET"):
        raise ConfigError("SOS_TELEGRAM_WEBHOOK_SECRET: required when SOS_TELEGRAM_MODE=webhook")
    webhook_url = _parse_webhook_base(get("SOS_TELEGRAM_WEBHOOK_URL"))
    if token and mode == "webhook" and not webhook_url:
        raise ConfigError(
            "SOS_TELEGRAM_WEBHOOK_URL: required when SOS_TELEGRAM_MODE=webhook "
            "(the bot's public https:// base URL; Telegram is told to post to <it>/telegram/webhook)"
        )
    slack_token = get("SOS_SLACK_BOT_TOKEN")
    if slack_token and not get("SOS_SLACK_APP_TOKEN") and not get("SOS_SLACK_SIGNING_SECRET"):
        raise ConfigError(
            "SOS_SLACK_SIGNING_SECRET: required for Slack over HTTP (or set SOS_SLACK_APP_TOKEN)"
        )
    language = get("SOS_DEFAULT_LANGUAGE") or "en"
    if language not in LANGUAGES:
        raise ConfigError(f"SOS_DEFAULT_LANGUAGE: '{language}' must be one of {', '.join(LANGUAGES)}")
    retention = get("SOS_RETENTION_DAYS") or "365"
    if not retention.isdigit() or int(retention) < 1:
        raise ConfigError(f"SOS_RETENTION_DAYS: '{retention}' must be a positive number of days")
    per_hour = get("SOS_REPORTS_PER_HOUR") or "3"
    if not per_hour.isdigit() or int(per_hour) < 1:
        raise ConfigError(f"SOS_REPORTS_PER_HOUR: '{per_hour}' must be a positive number of reports")
    keys = tuple(k.strip() for k in (get("SOS_DATA_KEY") or "").split(",") if k.strip())
    settings = Settings(
        database_url=database_url,
        telegram_token=token,
        telegram_api_url=_parse_url("SOS_TELEGRAM_API_URL", get("SOS_TELEGRAM_API_URL")),
        telegram_mode=mode,
        telegram_webhook_secret=get("SOS_TELEGRAM_WEBHOOK_SECRET"),
        telegram_webhook_url=webhook_url,
        slack_bot_token=slack_token,
        slack_signing_secret=get("SOS_SLACK_SIGNING_SECRET"),
        slack_app_token=get("SOS_SLACK_APP_TOKEN"),
        slack_api_url=_parse_url("SOS_SLACK_API_URL", get("SOS_SLACK_API_URL")),
        http_host=get("SOS_HTTP_HOST") or "127.0.0.1",
        http_port=_parse_port(get("SOS_HTTP_PORT") or "8080"),
        dashboard_url=(_parse_url("SOS_DASHBOARD_URL", get("SOS_DASHBOARD_URL")) or "").rstrip("/") or None,
        data_keys=keys,
        secretariat=_parse_secretariat(get("SOS_SECRETARIAT") or ""),
        default_language=language,
        retention_days=int(retention),
        urgent_alert_minutes=_parse_positive(
            "SOS_URGENT_ALERT_MINUTES", get("SOS_URGENT_ALERT_MINUTES") or "15", "minutes"
        ),
        unanswered_case_hours=_parse_positive(
            "SOS_UNANSWERED_CASE_HOURS", get("SOS_UNANSWERED_CASE_HOURS") or "2", "hours"
        ),
        reports_per_hour=int(per_hour),
    )
    if keys:
        from storage.crypto import (
            SANDBOX_KEY,
            validate_keys,
        )  # local: keeps config importable without cryptography loaded

        validate_keys(keys)
        if not settings.sandbox and SANDBOX_KEY in keys:
            raise ConfigError(
                "SOS_DATA_KEY: the sandbox's public key cannot protect real data (use `sosbot gen-key`)"
            )
    elif not settings.sandbox:
        raise ConfigError("SOS_DATA_KEY: required outside sandbox mode (generate one with `sosbot gen-key`)")
    return settings
