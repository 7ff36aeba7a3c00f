"""The key check as an operator meets it: a wrong key or the sandbox's key stops every command in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.crypto import generate_key
from storage.keycheck import SANDBOX_REFUSED, WRONG_KEY
from tests.test_cli import sosbot

KEY, WRONG = generate_key(), generate_key()
REAL = {"SOS_TELEGRAM_TOKEN": "1:x"}  # a platform configured: not sandbox mode


@pytest.fixture(scope="module")
def real_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("real")
    first = sosbot(["migrate"], folder, SOS_DATA_KEY=KEY, **REAL)
    assert first.returncode == 0, first.stderr
    return folder


@pytest.mark.parametrize(
    "command",
    [["run"], ["purge"], ["rotate-key"], ["export-letter", "CL-2000-001"], ["migrate"]],
    ids=lambda c: c[0],
)
def test_a_wrong_key_stops_the_command_with_one_line(real_database: Path, command: list[str]) -> None:
    result = sosbot(command, real_database, SOS_DATA_KEY=WRONG, **REAL)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"sosbot: {WRONG_KEY}"]
    assert result.stdout == ""


def test_a_wrong_key_stops_the_console(real_database: Path) -> None:
    result = sosbot(["console", "--as", "amina"], real_database, "/help\n", SOS_DATA_KEY=WRONG)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"sosbot: {WRONG_KEY}"]
    assert "amina>" not in result.stdout


def test_the_sandbox_key_is_refused_on_a_real_database(real_database: Path) -> None:
    result = sosbot(["console", "--as", "amina"], real_database, "/help\n")  # no key, no platform: sandbox
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"sosbot: {SANDBOX_REFUSED}"]
    assert "amina>" not in result.stdout


def test_after_a_rotation_the_new_key_alone_opens_the_database(tmp_path: Path) -> None:
    newer = generate_key()
    assert sosbot(["migrate"], tmp_path, SOS_DATA_KEY=KEY, **REAL).returncode == 0
    result = sosbot(["rotate-key"], tmp_path, SOS_DATA_KEY=f"{newer},{KEY}", **REAL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("re-encrypted ")
    assert sosbot(["purge"], tmp_path, SOS_DATA_KEY=newer, **REAL).returncode == 0
    assert sosbot(["purge"], tmp_path, SOS_DATA_KEY=KEY, **REAL).returncode == 2
