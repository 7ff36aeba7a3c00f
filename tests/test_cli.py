"""The ``sosbot`` command as an operator runs it: console over stdin, demo, migrate, config errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

from tests.travel import python_m

SCRIPT = "/start\n#2\nAYUDA\n/join\nColectivo Tierra\nGuatemala\n"


def sosbot(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    environment.update({"SOS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}", **env})
    return subprocess.run(
        python_m("bot", *args),
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
    real = f"sqlite+aiosqlite:///{tmp_path / 'real.db'}"  # sos.db above is the sandbox's: its key is public
    platform = sosbot(
        ["migrate"], tmp_path, SOS_TELEGRAM_TOKEN="1:x", SOS_DATA_KEY=key, SOS_DATABASE_URL=real
    )
    assert platform.returncode == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_run_greets_a_newcomer_in_the_default_language(tmp_path: Path) -> None:
    port = free_port()
    result = sosbot(["run"], tmp_path, "/help\n", SOS_DEFAULT_LANGUAGE="es", SOS_HTTP_PORT=str(port))
    assert result.returncode == 0, result.stderr
    guide, answer = result.stdout.split("Elena (secretariat)> /help\n", 1)
    assert guide.splitlines()[:5] == [
        "Le damos la bienvenida al entorno de pruebas del bot SOS. Usted es Elena (secretariat), de la "
        "secretaría, y el bot le escribe en Español.",
        "Las personas de este entorno de pruebas:",
        "  amina: Amina (secretariat), secretaría, lee en \u2068العربية\u2069",  # Arabic isolated in Spanish
        "  sam: Sam (secretariat), secretaría, lee en English",
        "  lucia: Lucía Hernández, miembro de ProDESC, lee en Español",
    ]
    assert "  rafael: Rafael Souza, defensor/a, lee en Português" in guide
    assert (
        "Para ser una segunda persona, abra otra terminal en esta carpeta y escriba: "
        ".venv/bin/sosbot console --as lucia"
    ) in guide
    assert "Pruebe primero: AYUDA aquí. Luego abra a rafael (defensor)" in guide
    dashboard, link = guide.splitlines()[-2:]  # a newcomer opens the dashboard in one click
    assert dashboard.startswith(
        "El panel web, en un clic (este enlace funciona una sola vez, durante 10 minutos"
    )
    assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/dashboard/login/[\w-]{{40,}}", link), link
    assert answer.startswith("bot> Está registrado/a como: secretaría.")  # /help answers in Spanish too


def test_make_run_in_arabic_opens_as_amina(tmp_path: Path) -> None:
    result = sosbot(["run"], tmp_path, "", SOS_DEFAULT_LANGUAGE="ar", SOS_HTTP_PORT=str(free_port()))
    assert result.returncode == 0, result.stderr
    first, people, *_ = result.stdout.splitlines()
    assert first.startswith(
        "مرحبًا بك في بيئة تجربة بوت \u2068SOS\u2069. أنت \u2068Amina (secretariat)\u2069 من الأمانة"
    )
    assert people == "الأشخاص في بيئة التجربة هذه:"
    lucia = "  \u200f\u2068lucia\u2069: \u2068Lucía Hernández\u2069، \u2068\u200f\u2068عضو\u2069 في \u2068ProDESC\u2069\u2069"
    assert f"{lucia}، اللغة: \u2068Español\u2069\n" in result.stdout


def test_a_taken_port_moves_the_sandbox_and_stops_a_real_deployment(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = sosbot(["run"], tmp_path, "", SOS_HTTP_PORT=str(port))
        assert sandbox.returncode == 0, sandbox.stderr
        [moved] = re.findall(rf"^Port {port} is taken: the sandbox listens on port (\d+) instead\.$",
                             sandbox.stdout, re.MULTILINE)  # fmt: skip
        assert int(moved) != port

        key = sosbot(["gen-key"], tmp_path).stdout.strip()
        real = sosbot(["run"], tmp_path, "", SOS_HTTP_PORT=str(port), SOS_TELEGRAM_TOKEN="1:x", SOS_DATA_KEY=key,
                      SOS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'real.db'}",
                      SOS_TELEGRAM_API_URL="http://127.0.0.1:9/bot", SOS_DEFAULT_LANGUAGE="fr")  # fmt: skip
    assert real.returncode == 2
    assert real.stderr.strip().splitlines() == [
        f"sosbot\u202f: le port {port} sur 127.0.0.1 est occupé\u202f: arrêtez ce qui l’utilise, ou mettez un "
        "port libre dans SOS_HTTP_PORT."
    ]
