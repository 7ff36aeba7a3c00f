"""The ``sosbot`` command as an operator runs it: console over stdin, demo, migrate, config errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = "/start\n#2\nAYUDA\n/join\nColectivo Tierra\nGuatemala\n"


def sosbot(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    environment.update({"SOS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )


def test_console_can_be_driven_by_a_script_over_stdin(tmp_path: Path) -> None:
    result = sosbot(["console", "--as", "ines"], tmp_path, SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ines> /start" in out and "[#1 English] [#2 Español]" in out
    assert "ines> (presses Español)" in out
    assert "ines> Guatemala" in out
    assert out.index("ines> /join") < out.index("ines> Colectivo Tierra")
    assert "Colectivo Tierra" in out.split("ines> Guatemala", 1)[1]


def test_console_keeps_the_conversation_across_runs(tmp_path: Path) -> None:
    sosbot(["console", "--as", "ines"], tmp_path, "/join\nColectivo Tierra\n")
    result = sosbot(["console", "--as", "ines"], tmp_path, "Guatemala\n")
    assert "Colectivo Tierra" in result.stdout.split("ines> Guatemala", 1)[1]


def test_demo_plays_to_the_end_by_itself(tmp_path: Path) -> None:
    result = sosbot(["demo"], tmp_path, SOS_HTTP_PORT="18765")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[telegram] Ana Morales> /start" in out and "bot> Hola Ana Morales" in out
    assert (
        "bot> Colectivo Tierra y Libertad está verificada; 1 miembro confirmado." not in out
    )  # Sam reads English
    assert "bot> Colectivo Tierra y Libertad is verified; 1 member confirmed." in out
    assert "bot> \u200fصفتك المسجَّلة:" in out  # a right-to-left mark first: Telegram aligns it right
    assert "bot> Está registrado/a como: defensor." in out  # Luiza reads Brazilian Portuguese
    assert out.rstrip().endswith("demo finished: every step was answered")
    assert "SANDBOX-TOKEN" not in result.stderr


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = sosbot(["run"], tmp_path, SOS_HTTP_PORT="http")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sosbot: configuration error: SOS_HTTP_PORT: 'http' is not a TCP port (1-65535)"
    ]


def test_migrate_and_gen_key(tmp_path: Path) -> None:
    assert sosbot(["migrate"], tmp_path).stdout.strip() == "database is up to date"
    key = sosbot(["gen-key"], tmp_path).stdout.strip()
    assert len(key) == 44
    platform = sosbot(["migrate"], tmp_path, SOS_TELEGRAM_TOKEN="1:x", SOS_DATA_KEY=key)
    assert platform.returncode == 0
