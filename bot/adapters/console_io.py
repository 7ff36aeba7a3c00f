"""The console in a terminal: input is read off the event loop, and messages pushed meanwhile print above the prompt.

A daemon thread reads lines (with line editing in a terminal, raw from a pipe or a file in a script) and hands
them to the event loop through a queue, so the web server, the outbox workers and the sweeps run while a person
thinks. Ctrl-D (end of input) and Ctrl-C or SIGTERM end the console cleanly with status 0.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.adapters.console import ConsoleChat, Line

PROMPT = "> "
_EOF = None  # what the reader hands over at the end of input


class Terminal:
    """Where the console prints: above the line being typed when a person is at the prompt, plainly in a script."""

    def __init__(self, stdout: TextIO, interactive: bool) -> None:
        self.stdout = stdout
        self.interactive = interactive
        self.at_prompt = False  # set by the reader thread while it waits for a line
        self._lock = threading.Lock()

    def show(self, text: str) -> None:
        """Print ``text``; at the prompt, erase the line, print, then redraw the prompt and what was typed."""
        with self._lock:
            if self.interactive and self.at_prompt:
                typed = _typed_so_far()
                self.stdout.write(f"\r\x1b[K{text}\n{PROMPT}{typed}")
            else:
                self.stdout.write(text + "\n")
            self.stdout.flush()

    def line(self, line: Line) -> None:
        """Print a chat's recorded line; in a terminal the person's own typing is already on screen."""
        if self.interactive and line.speaker != "bot":
            return
        self.show(line.render())


def _typed_so_far() -> str:
    readline = sys.modules.get("readline")
    return str(readline.get_line_buffer()) if readline is not None else ""


class _Reader:
    """Reads lines in a daemon thread (never on the event loop) and queues them for the console."""

    def __init__(self, stdin: TextIO, terminal: Terminal, queue: asyncio.Queue[str | None]) -> None:
        self.stdin, self.terminal, self.queue = stdin, terminal, queue
        self.loop = asyncio.get_running_loop()
        self.ready = threading.Event()  # in a terminal: the previous line is answered, show the prompt again
        self.ready.set()
        # readline puts the terminal in its own mode when input() starts. Leaving must not race that: the
        # console waits until a starting input() has done so (``prepared``) before it gives the shell its modes
        # back, and no input() starts once the console is closing.
        self.prepared = threading.Event()
        self._gate = threading.Lock()
        self._closing = False
        self._entering = False
        # A daemon thread: a process quitting on Ctrl-C must not wait for a line nobody will type.
        self.thread = threading.Thread(target=self._run, name="console-input", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _hand_over(self, line: str | None) -> bool:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, line)
        except RuntimeError:  # the loop has closed: the console is gone
            return False
        return True

    def _run(self) -> None:
        lines = self._prompted() if self.terminal.interactive else self._script()
        for line in lines:
            if not self._hand_over(line):
                return
        self._hand_over(_EOF)

    def _prompted(self) -> Iterator[str]:
        while True:
            self.ready.wait()
            self.ready.clear()
            with self._gate:
                if self._closing:
                    return
                self.prepared.clear()
                self._entering = True
            self.terminal.at_prompt = True
            try:
                line = input(PROMPT)
            except (EOFError, OSError, ValueError):
                return
            finally:
                self.terminal.at_prompt = False
                self._entering = False
            yield line

    def close(self, timeout: float = 1.0) -> None:
        """Start no more input(), and wait until one being started has set the terminal's modes."""
        with self._gate:
            self._closing = True
            entering = self._entering
        if entering:
            self.prepared.wait(timeout)

    def _script(self) -> Iterator[str]:
        try:
            fd = self.stdin.fileno()
        except (OSError, ValueError, AttributeError):  # an in-memory stream: reading it cannot block
            yield from self.stdin
            return
        # os.read, not the buffered stdin: a daemon thread must hold no lock the interpreter needs at exit.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while chunk := os.read(fd, 65536):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            yield from complete
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


class Console:
    """Chat as one person in a terminal or from a script, receiving pushed messages as they arrive."""

    def __init__(self, chat: ConsoleChat, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.chat = chat
        self.stdin = stdin or sys.stdin
        stdout = stdout or sys.stdout
        self.terminal = Terminal(stdout, _isatty(self.stdin) and _isatty(stdout))
        chat.listener = self.terminal.line
        if (
            chat.files_dir is None
        ):  # files sent to this person (a letter's export) land here, and it says where
            chat.files_dir = Path(tempfile.gettempdir()) / "sosbot-files" / chat.user_id

    @property
    def interactive(self) -> bool:
        """True when a person types at a terminal (not a script on a pipe)."""
        return self.terminal.interactive

    def show(self, text: str) -> None:
        """Print a line of the console's own (a greeting, a hint)."""
        self.terminal.show(text)

    async def run(self) -> int:
        """Read and answer lines until end of input, Ctrl-C or SIGTERM; returns the exit status (0)."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with (
            _terminal_restored(self.stdin, self.interactive),
            _signals(loop, stop),
            self._logs_above_prompt(),
        ):
            reader = _Reader(self.stdin, self.terminal, queue)
            if self.interactive:
                import readline  # line editing and history for input()

                # Called once readline has put the terminal in its mode for the line being read.
                readline.set_pre_input_hook(reader.prepared.set)
            reader.start()
            stopping = asyncio.create_task(stop.wait())
            try:
                while True:
                    getting = asyncio.create_task(queue.get())
                    await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if stop.is_set():
                        getting.cancel()
                        break
                    line = getting.result()
                    if line is _EOF:
                        break
                    answering = asyncio.create_task(self._answer(line))
                    await asyncio.wait({answering, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if stop.is_set():
                        # Let a short answer finish its transaction rather than cut it; a stuck one is cut.
                        await asyncio.wait({answering}, timeout=5)
                        answering.cancel()
                        break
                    answering.result()
                    reader.ready.set()
            finally:
                stopping.cancel()
                reader.close()
        if self.interactive:
            self.terminal.stdout.write("\n")
            self.terminal.stdout.flush()
        return 0

    async def _answer(self, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        if line.startswith("#") and line[1:].isdigit():
            flat = [b for row in self.chat.last_buttons for b in row]
            number = int(line[1:])
            if not 1 <= number <= len(flat):
                self.show(f"(no button #{number})")
                return
            await self.chat.press(number)
        else:
            await self.chat.say(line)

    @contextlib.contextmanager
    def _logs_above_prompt(self) -> Iterator[None]:
        """In a terminal, log lines print above the prompt too, instead of across what the person types."""
        if not self.interactive:
            yield
            return
        root = logging.getLogger()
        saved = root.handlers[:]
        handler = _TerminalHandler(self.terminal)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.handlers = [handler]
        try:
            yield
        finally:
            root.handlers = saved


class _TerminalHandler(logging.Handler):
    def __init__(self, terminal: Terminal) -> None:
        super().__init__()
        self.terminal = terminal

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.terminal.show(self.format(record))
        except Exception:
            self.handleError(record)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the console through the event loop (no KeyboardInterrupt, no traceback)."""
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


@contextlib.contextmanager
def _terminal_restored(stdin: TextIO, interactive: bool) -> Iterator[None]:
    """Line editing changes the terminal's modes; leaving mid-line (Ctrl-C) must give the shell them back."""
    if not interactive:
        yield
        return
    import termios

    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        yield
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
