"""Configuration: every variable validated at start, errors name the variable in one line."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, SecretariatIdentity, load_settings
from storage.crypto import generate_key


def load(**env: str):  # type: ignore[no-untyped-def]
    return load_settings(env, dotenv=None)


def test_defaults_are_the_contract() -> None:
    settings = load()
    assert settings.database_url == "sqlite+aiosqlite:///./sos.db"
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.telegram_mode == "polling"
    assert settings.default_language == "en"
    assert settings.sandbox


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SOS_HTTP_PORT": "eighty"}, "SOS_HTTP_PORT"),
        ({"SOS_HTTP_PORT": "70000"}, "SOS_HTTP_PORT"),
        ({"SOS_DEFAULT_LANGUAGE": "de"}, "SOS_DEFAULT_LANGUAGE"),
        ({"SOS_TELEGRAM_MODE": "push"}, "SOS_TELEGRAM_MODE"),
        ({"SOS_DATABASE_URL": "mysql://x/y"}, "SOS_DATABASE_URL"),
        ({"SOS_TELEGRAM_API_URL": "ftp://x"}, "SOS_TELEGRAM_API_URL"),
        ({"SOS_SECRETARIAT": "telegram"}, "SOS_SECRETARIAT"),
        ({"SOS_SECRETARIAT": "slack:U02"}, "SOS_SECRETARIAT"),
        ({"SOS_TOKEN": "x"}, "SOS_TOKEN"),
        ({"SOS_DATA_KEY": "not-a-key"}, "SOS_DATA_KEY"),
        ({"SOS_TELEGRAM_TOKEN": "1:x"}, "SOS_DATA_KEY"),
        ({"SOS_TELEGRAM_TOKEN": "1:x", "SOS_TELEGRAM_MODE": "webhook"}, "SOS_TELEGRAM_WEBHOOK_SECRET"),
        ({"SOS_SLACK_BOT_TOKEN": "xoxb-1"}, "SOS_SLACK_SIGNING_SECRET"),
        ({"SOS_RETENTION_DAYS": "0"}, "SOS_RETENTION_DAYS"),
    ],
)
def test_bad_values_name_the_variable_in_one_line(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(**env)
    message = str(caught.value)
    assert message.startswith(variable + ":")
    assert "\n" not in message


def test_platforms_and_keys() -> None:
    key = generate_key()
    settings = load(
        SOS_TELEGRAM_TOKEN="1:abc",
        SOS_DATA_KEY=f"{key}, {generate_key()}",
        SOS_SECRETARIAT="telegram:12345,slack:T01/U02",
        SOS_DEFAULT_LANGUAGE="ar",
    )
    assert not settings.sandbox and settings.telegram_enabled and not settings.slack_enabled
    assert settings.data_keys[0] == key and len(settings.data_keys) == 2
    assert settings.secretariat == (
        SecretariatIdentity("telegram", "", "12345"),
        SecretariatIdentity("slack", "T01", "U02"),
    )
    assert settings.default_language == "ar"


def test_dotenv_is_read_and_environment_wins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nSOS_HTTP_PORT=9000\nexport SOS_DEFAULT_LANGUAGE='fr'\n")
    settings = load_settings({"SOS_HTTP_PORT": "9100"}, dotenv=dotenv)
    assert settings.http_port == 9100
    assert settings.default_language == "fr"
