"""Sandbox people in separate processes on one database, as people in separate terminals: what one does
reaches the other's console as it happens, while each console waits for its person to type."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

from bot.app import build_app
from bot.core.codec import encode
from bot.core.events import Button
from storage.models import utcnow
from storage.outbox import OutboxRepository, Target
from tests.clock import YEAR
from tests.conftest import make_settings
from tests.travel import python_m

REF = f"SOS-{YEAR}-0001"
WAIT = 60.0  # a bound on waiting for output, never an assertion on time
REPORT = (  # Rafael's report, in Portuguese: another person at risk, a physical threat, immediate danger
    "/report", "#2", "Rafael Souza and Joana Lima", "Brazil", "Altamira, Pará", "#3",
    "Two armed men came to the radio station at night.", "Last night", "#1", "#3", "#4", "#6",
    "+55 93 99999-0000 (Signal)", "#1", "#2", "#1",
)  # fmt: skip


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    env.update({"SOS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}", **extra})
    return env


class Terminal:
    """One ``sosbot`` process with its stdin a pipe we type into and its output collected as it comes."""

    def __init__(self, args: list[str], tmp_path: Path, **env: str) -> None:
        self.process = subprocess.Popen(
            python_m("bot", *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env=environment(tmp_path, **env),
        )
        self.output = ""
        self.changed = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.output += line
                self.changed.notify_all()

    def type(self, *lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines))
        self.process.stdin.flush()

    def wait_for(self, text: str) -> str:
        """The output once it contains ``text``."""
        with self.changed:
            if not self.changed.wait_for(lambda: text in self.output, timeout=WAIT):
                raise AssertionError(f"never printed {text!r}; printed:\n{self.output}")
            return self.output

    def quit(self) -> tuple[int, str]:
        """End of input (Ctrl-D); returns the exit status and what went to stderr."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self._ended()

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C."""
        self.process.send_signal(signal.SIGINT)
        return self._ended()

    def _ended(self) -> tuple[int, str]:
        status = self.process.wait(timeout=WAIT)
        assert self.process.stderr is not None
        return status, self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_a_defender_and_the_secretariat_talk_through_the_bot_from_two_consoles(tmp_path: Path) -> None:
    amina = Terminal(["console", "--as", "amina"], tmp_path)  # secretariat, Arabic
    rafael = None
    try:
        amina.type("/help")
        amina.wait_for("bot> ")  # Amina's console is up, and the sandbox seeded
        rafael = Terminal(["console", "--as", "rafael"], tmp_path)  # defender, Portuguese
        rafael.type(*REPORT)
        rafael.wait_for(f"Sua denúncia ficou salva como {REF}.")

        # The triage alert reaches Amina's console in her language, with its button, while she waits.
        alert = amina.wait_for(f"bot> بلاغ تهديد جديد \u2068{REF}\u2069")
        assert "[#1 فتح]" in alert.split(REF, 1)[1]
        assert "Two armed men" not in alert and "Altamira" not in alert  # an alert carries no details

        amina.type(f"/reply {REF} Estamos com você, ligamos amanhã.")
        relayed = rafael.wait_for("Estamos com você, ligamos amanhã.")
        assert (
            f"bot> Mensagem do secretariado sobre {REF}:\nEstamos com você, ligamos amanhã.\n[#1 Responder]"
            in relayed
        )

        rafael.type("#1", "Obrigado, estamos em segurança.")
        rafael.wait_for(f"Sua mensagem foi adicionada a {REF}.")
        answered = amina.wait_for(f"bot> كتب صاحب البلاغ \u2068{REF}\u2069 مجددًا")
        assert "Obrigado" not in answered  # the answer is on the case; the alert names the case only

        for person in (amina, rafael):
            status, errors = person.quit()
            assert status == 0 and "Traceback" not in errors
    finally:
        amina.kill()
        if rafael is not None:
            rafael.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_sandbox_serves_healthz_while_the_console_waits_for_input(tmp_path: Path) -> None:
    port = free_port()
    run = Terminal(["run"], tmp_path, SOS_HTTP_PORT=str(port))  # stdin a pipe that sends nothing
    try:
        run.wait_for("sosbot console --as lucia")  # the guide: the console now waits for a line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=WAIT) as response:
            health = json.loads(response.read())
        assert response.status == 200 and health["status"] == "ok"
        assert health["platforms"] == ["telegram", "slack"]  # the emulators, served by the same process
        status, errors = run.interrupt()  # Ctrl-C quits cleanly
        assert status == 0 and "Traceback" not in errors and "KeyboardInterrupt" not in errors, (
            status,
            errors[-6000:].replace("\n", " | "),
        )
    finally:
        run.kill()


class Pty:
    """``sosbot console`` in a pseudo-terminal, as a person at a keyboard sees it (line editing, Ctrl-C)."""

    def __init__(self, args: list[str], tmp_path: Path) -> None:
        self.master, slave = pty.openpty()
        self.modes = termios.tcgetattr(slave)
        self.slave = slave

        def own_terminal() -> None:  # the pty becomes the controlling terminal: Ctrl-C sends SIGINT
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            # Not through tests/travel.py: this test is about the terminal (modes, Ctrl-C), which the clock wrapper's
            # extra interpreter layer would sit between; dates are covered by the two-console test.
            [sys.executable, "-m", "bot", *args],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=environment(tmp_path, TERM="xterm"),
            preexec_fn=own_terminal,
        )
        self.screen = b""

    def wait_for(self, text: str) -> str:
        wanted = text.encode()
        for _ in range(int(WAIT / 0.1)):
            if wanted in self.screen:
                return self.screen.decode()
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                self.screen += os.read(self.master, 65536)
        raise AssertionError(f"never showed {text!r}; showed:\n{self.screen!r}")

    def keys(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


async def push_to(database: Path, chat_id: str, text: str, button: str) -> None:
    app = build_app(make_settings(f"sqlite+aiosqlite:///{database}"))
    try:
        async with app.sessions() as session, session.begin():
            message = encode(text, [[Button(button, "letter-sign", "1")]])
            row = await OutboxRepository(session).enqueue(
                "letter:1", Target("console", chat_id, "es"), message
            )
            assert row is not None
            # Due on any clock: the pty console runs on the real one even when the suite's clock is moved.
            row.next_attempt_at = row.created_at = utcnow() - timedelta(days=3650)
    finally:
        await app.close()


def test_a_pushed_message_prints_above_the_line_being_typed_and_ctrl_c_quits(tmp_path: Path) -> None:
    lucia = Pty(["console", "--as", "lucia"], tmp_path)  # a member reading Spanish
    try:
        lucia.wait_for("Usted es Lucía Hernández. Escriba AYUDA o cualquier texto; #N pulsa el botón N")
        lucia.wait_for("\n> ")
        lucia.keys("AYU")  # half typed, not yet sent
        lucia.wait_for("> AYU")
        asyncio.run(push_to(tmp_path / "sos.db", "dm-lucia", "Carta colectiva CL-1: ¿firma usted?", "Firmar"))
        # The line being typed is erased, the message printed, and the prompt drawn again with what was typed.
        lucia.wait_for("> AYU\r\x1b[Kbot> Carta colectiva CL-1: ¿firma usted?\r\n[#1 Firmar]\r\n> AYU")
        lucia.keys("DA\r")  # ... and the person finishes typing the word
        screen = lucia.wait_for("Está registrado/a como: miembro.")
        assert "[#1 Firmar]\r\n> AYUDA\r\nbot> Está registrado/a como: miembro." in screen
        lucia.keys("\x03")  # Ctrl-C
        assert lucia.process.wait(timeout=WAIT) == 0
        assert lucia.process.stderr is not None and lucia.process.stderr.read() == b""  # no traceback
        assert termios.tcgetattr(lucia.slave)[3] == lucia.modes[3]  # the terminal echoes again, as before
    finally:
        lucia.close()
