"""``sosbot demo`` as a newcomer runs it: twice in a row, in its own database, on a free port, every step shown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.travel import python_m

# What the transcript must show, step by step (the people read Portuguese, Spanish, French, Arabic, English).
STEPS = (
    "Rafael (Telegram)> DENUNCIAR",
    "[Telegram · Rafael, defender]: Quem está em risco?",
    "Rafael (Telegram)> presses [Enviar a denúncia]",
    "✂ [Telegram · Rafael, defender]:",  # his typed answers leave the chat once the report is stored
    "[Slack #sos-triage]: New threat report SOS-",  # the triage alert, minimal
    "Sam (Slack)> /sos assign SOS-",
    "[Telegram · Rafael, defender]: Mensagem do secretariado sobre SOS-",  # relay to the reporter
    "[Slack #sos-triage]: The reporter of SOS-",  # and back
    "drafted from SOS-",  # the appeal drafted from the case
    "saved (Arabic).",  # translated
    "waits for a second secretariat member",  # two-person rule
    "[Telegram group · Red DESC Américas (es)]: 🚨 Llamamiento urgente UA-",
    "[Slack #africa (fr)]: 🚨 Appel urgent UA-",
    "\u200f🚨 نداء عاجل",
    "مُرسَلة",  # the live delivery status in Amina's chat (edited as copies land, when they land after it)
    "Lucía (Telegram)> presses [",  # I acted
    "[Slack #africa (fr)]: ✍️ Lettre collective CL-",
    "1 organización ha firmado.",
    "2 organisations ont signé.",
    "وقّعت منظمتان",
    "Lucía (Telegram)> RETIRAR CL-",
    "📎 CL-",  # the export, as files in the chat
)


def demo(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    environment.update(
        {"SOS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}", "SOS_HTTP_PORT": str(port)}
    )
    return subprocess.run(
        python_m("bot", "demo"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=180,
        check=False,
    )


def test_the_demo_plays_the_whole_workflow_twice_in_its_own_database_on_a_free_port(tmp_path: Path) -> None:
    with socket.socket() as taken:  # the configured port is busy: the demo takes a free one
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runs = [demo(tmp_path, port), demo(tmp_path, port)]
    for result in runs:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        out = result.stdout
        positions = [out.find(step) for step in STEPS]
        missing = [step for step, at in zip(STEPS, positions, strict=True) if at < 0]
        assert not missing, missing
        assert "demo finished:" in out.splitlines()[-1]
    assert not (tmp_path / "sos.db").exists()  # ./sos.db (SOS_DATABASE_URL) is left alone


def test_a_failed_step_exits_non_zero(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    script = (
        "import asyncio, sys\n"
        "import bot.demo as d\n"
        "from bot.config import Settings\n"
        "d.Scenario.network = lambda self: self.tg(d.RAFAEL, '/nothing-answers-this', expect=lambda f: False)\n"
        "d.demo_stage_timeout = None\n"
        "import bot.demo_stage as s; s.STEP_TIMEOUT = 1.0\n"
        "sys.exit(asyncio.run(d.run_demo(Settings())))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 1
    assert "demo FAILED: DemoFailed: step 1" in result.stdout
