"""Console adapter: chat with the bot in a terminal (or from a script on stdin) as any sandbox person.

Lines starting with ``/`` are commands; ``#N`` presses button N of the latest message that had buttons;
anything else is text, exactly as a private chat on a platform.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.core.dispatcher import Dispatcher
from bot.core.events import (
    ActionEvent,
    Actor,
    Button,
    ChatKind,
    ChatRef,
    CommandEvent,
    Delete,
    Edit,
    Event,
    Notice,
    Outgoing,
    OutgoingMessage,
    TextEvent,
)

PLATFORM = "console"
_event_ids = itertools.count(1)
_run_id = uuid.uuid4().hex[:12]
_message_ids = itertools.count(1)


@dataclass
class Line:
    """One rendered line of a transcript: who spoke and what."""

    speaker: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def render(self) -> str:
        """``speaker> text`` with buttons as ``[1 English] [2 Español]``."""
        out = f"{self.speaker}> {self.text}"
        flat = [b for row in self.buttons for b in row]
        if flat:
            out += "\n" + " ".join(f"[#{i} {b.label}]" for i, b in enumerate(flat, start=1))
        return out


@dataclass
class ConsoleChat:
    """A private chat between one person and the bot, recording a transcript.

    Tests drive it with :meth:`say` and :meth:`press`; the interactive console and the demo print it.
    """

    dispatcher: Dispatcher
    user_id: str
    display_name: str = ""
    language_hint: str | None = None
    chat: ChatRef | None = None
    transcript: list[Line] = field(default_factory=list)
    last_buttons: tuple[tuple[Button, ...], ...] = ()
    last_message_id: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # attachments received, by file name
    files_dir: Path | None = None  # where attachments are written (the interactive console sets one)

    def __post_init__(self) -> None:
        if self.chat is None:
            self.chat = ChatRef(PLATFORM, f"dm-{self.user_id}", kind=ChatKind.PRIVATE)

    @property
    def actor(self) -> Actor:
        """The platform identity this chat speaks as."""
        return Actor(PLATFORM, self.user_id, "", self.display_name or self.user_id, self.language_hint)

    def _ids(self) -> tuple[str, ChatRef]:
        assert self.chat is not None
        # Unique across runs: the store remembers processed ids, and a restarted console must not look like a replay.
        return f"console-{_run_id}-{next(_event_ids)}", self.chat

    async def say(self, text: str) -> list[str]:
        """Type ``text`` (a ``/command`` or free text); returns the bot's answers as plain strings."""
        event_id, chat = self._ids()
        self.transcript.append(Line(self.display_name or self.user_id, text))
        event: Event
        if text.startswith("/") and len(text) > 1:
            word, *args = text[1:].split()
            event = CommandEvent(event_id, self.actor, chat, name=word, args=tuple(args))
        else:
            event = TextEvent(event_id, self.actor, chat, text=text, message_id=f"in-{event_id}")
        return await self.send(event)

    async def press(self, label_or_number: str | int) -> list[str]:
        """Press a button of the latest message with buttons, by label or 1-based number."""
        flat = [b for row in self.last_buttons for b in row]
        if isinstance(label_or_number, int):
            button = flat[label_or_number - 1]
        else:
            button = next(b for b in flat if b.label == label_or_number)
        return await self.press_button(button)

    async def press_button(self, button: Button, message_id: str | None = None) -> list[str]:
        """Press ``button`` (possibly an old one: stale buttons are part of what the bot must handle)."""
        event_id, chat = self._ids()
        self.transcript.append(Line(self.display_name or self.user_id, f"(presses {button.label})"))
        event = ActionEvent(
            event_id,
            self.actor,
            chat,
            action=button.action,
            payload=button.payload,
            message_id=message_id or self.last_message_id,
        )
        return await self.send(event)

    async def send(self, event: Event) -> list[str]:
        """Dispatch any event and record the answers."""
        outcome = await self.dispatcher.handle(event)
        recorded = [self._record(item) for item in outcome.outgoing]
        return [text for text in recorded if text is not None]

    def _record(self, item: Outgoing) -> str | None:
        if isinstance(item, OutgoingMessage):
            for attachment in item.attachments:
                self.files[attachment.filename] = attachment.content
                where = attachment.filename
                if self.files_dir is not None:  # a person at a terminal gets the file itself, and where it is
                    self.files_dir.mkdir(parents=True, exist_ok=True)
                    path = self.files_dir / Path(attachment.filename).name
                    path.write_bytes(attachment.content)
                    where = f"saved as {path}"
                self.transcript.append(Line("bot", f"(file {where}, {len(attachment.content)} bytes)"))
            self.transcript.append(Line("bot", item.text, item.buttons))
            if item.buttons:
                self.last_buttons = item.buttons
                self.last_message_id = f"m{next(_message_ids)}"
            return item.text
        if isinstance(item, Edit):
            self.transcript.append(Line("bot", f"(edited) {item.text}", item.buttons))
            self.last_buttons = item.buttons
            return item.text
        if isinstance(item, Delete):
            self.transcript.append(Line("bot", f"(deletes message {item.message_id})"))
            return None
        assert isinstance(item, Notice)
        self.transcript.append(Line("bot", f"({item.text})"))
        return item.text

    def lines(self) -> list[str]:
        """The transcript rendered, one entry per message."""
        return [line.render() for line in self.transcript]


async def run_console(chat: ConsoleChat, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Read lines until end of input and print the bot's answers; ``#N`` presses button N.

    When input is not a terminal, each line is echoed so a scripted session reads as a transcript.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if chat.files_dir is None:
        chat.files_dir = Path(tempfile.gettempdir()) / "sosbot-files" / chat.user_id
    interactive = stdin.isatty()
    if interactive:
        stdout.write("Type /help, or text; #N presses button N; Ctrl-D quits.\n")
    for raw in _lines(stdin, stdout, interactive):
        line = raw.strip()
        if not line:
            continue
        start = len(chat.transcript)
        if line.startswith("#") and line[1:].isdigit():
            flat = [b for row in chat.last_buttons for b in row]
            number = int(line[1:])
            if not 1 <= number <= len(flat):
                stdout.write(f"(no button #{number})\n")
                continue
            await chat.press(number)
        else:
            await chat.say(line)
        new = chat.transcript[start:]
        shown = new if not interactive else new[1:]
        stdout.write("\n".join(entry.render() for entry in shown) + "\n")
        stdout.flush()
    return 0


def _lines(stdin: TextIO, stdout: TextIO, interactive: bool) -> Iterable[str]:
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return
        yield line
