"""Console adapter: chat with the bot in a terminal (or from a script on stdin) as any sandbox person.

Lines starting with ``/`` are commands; ``#N`` presses button N of the latest message that had buttons;
anything else is text, exactly as a private chat on a platform. :class:`ConsoleChat` records the bot's direct
answers; :class:`ConsoleAdapter` makes the console a platform the outbox delivers to, so what other people's
actions send to this person (alerts, relayed replies, letters with their Sign button) reaches the terminal too.
The terminal itself (reading without blocking, printing above the prompt) is in :mod:`bot.adapters.console_io`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.core.delivery import DeliveryError, FailureKind
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
from bot.core.receipts import keep_receipt

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
    # Told of every line as it is recorded (the terminal prints them; tests read the transcript instead).
    listener: Callable[[Line], None] | None = None

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
        self._add(Line(self.display_name or self.user_id, text))
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
        self._add(Line(self.display_name or self.user_id, f"(presses {button.label})"))
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
        recorded: list[str | None] = []
        for item in outcome.outgoing:
            if isinstance(item, OutgoingMessage):
                message_id = f"c{_run_id}-{next(_message_ids)}"
                recorded.append(self._record(item, message_id))
                # A message the bot takes back later (a report's summary) is found by its receipt.
                await keep_receipt(self.dispatcher.sessions, item, message_id)
            else:
                recorded.append(self._record(item))
        return [text for text in recorded if text is not None]

    def _add(self, line: Line) -> None:
        self.transcript.append(line)
        if self.listener is not None:
            self.listener(line)

    def _record(self, item: Outgoing, message_id: str | None = None) -> str | None:
        """Record one answer; ``message_id`` is the platform id a pushed message was given."""
        if isinstance(item, OutgoingMessage):
            for attachment in item.attachments:
                self.files[attachment.filename] = attachment.content
                where = attachment.filename
                if self.files_dir is not None:  # a person at a terminal gets the file itself, and where it is
                    self.files_dir.mkdir(parents=True, exist_ok=True)
                    path = self.files_dir / Path(attachment.filename).name
                    path.write_bytes(attachment.content)
                    where = f"saved as {path}"
                self._add(Line("bot", f"(file {where}, {len(attachment.content)} bytes)"))
            self._add(Line("bot", item.text, item.buttons))
            if item.buttons:
                self.last_buttons = item.buttons
                self.last_message_id = message_id or f"m{next(_message_ids)}"
            return item.text
        if isinstance(item, Edit):
            self._add(Line("bot", f"(edited) {item.text}", item.buttons))
            if message_id is None or message_id == self.last_message_id:
                self.last_buttons = item.buttons  # an older message's edit leaves the latest buttons alone
            return item.text
        if isinstance(item, Delete):
            self._add(Line("bot", f"(deletes message {item.message_id})"))
            return None
        assert isinstance(item, Notice)
        self._add(Line("bot", f"({item.text})"))
        return item.text

    def receive(self, item: OutgoingMessage | Edit) -> str:
        """Show what the outbox delivered to this chat; returns the message's id (new for a message)."""
        if isinstance(item, Edit):
            self._record(item, item.message_id)
            return item.message_id
        message_id = f"c{_run_id}-{next(_message_ids)}"  # unique across console processes on one store
        self._record(item, message_id)
        return message_id

    def lines(self) -> list[str]:
        """The transcript rendered, one entry per message."""
        return [line.render() for line in self.transcript]


class ConsoleAdapter:
    """The console as a platform the outbox delivers to: rows addressed to this terminal's chat are shown.

    One adapter serves one :class:`ConsoleChat`; its worker claims only rows for that chat (see
    :meth:`chats`), so several consoles on one sandbox database each receive their own person's messages.
    """

    platform = PLATFORM

    def __init__(self, chat: ConsoleChat) -> None:
        self.chat = chat

    def chats(self) -> tuple[str, ...]:
        """The chat ids this adapter delivers to."""
        assert self.chat.chat is not None
        return (self.chat.chat.chat_id,)

    def routes(self) -> Sequence[web.RouteDef]:
        """None: console input comes from the terminal, not over HTTP."""
        return ()

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutgoingMessage) -> str:
        """Show a pushed message (with its numbered buttons); returns its console message id."""
        self._check(message.chat)
        return self.chat.receive(message)

    async def edit(self, edit: Edit) -> None:
        """Show the new text of a message, marked as edited."""
        self._check(edit.chat)
        self.chat.receive(edit)

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        """A terminal cannot take back what it printed: nothing is shown."""
        self._check(chat)

    def _check(self, chat: ChatRef) -> None:
        if chat.chat_id not in self.chats():
            raise DeliveryError(FailureKind.REJECTED, "not this console's chat")
