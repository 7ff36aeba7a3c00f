"""The neutral event model: what adapters turn platform updates into, and what handlers send back.

Everything here is a frozen dataclass with no platform types, so handlers can be tested without any SDK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    """Where an event happened; private chats are the only place sensitive flows run."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Actor:
    """The person who acted, as the platform names them.

    ``profile``, when set, reads the name and language the event did not carry (Slack's ``users.info``): the
    dispatcher asks it only for a person the bot does not know yet or who never chose a language, as a burst
    of known members pressing a button would otherwise cost one platform call each (and Slack allows about
    100 a minute).
    """

    platform: str
    user_id: str
    workspace: str = ""
    display_name: str = ""
    language_hint: str | None = None  # Telegram language_code, Slack user locale
    profile: Callable[[], Awaitable[Actor]] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ChatRef:
    """A chat on a platform: a private chat, a group or a channel."""

    platform: str
    chat_id: str
    workspace: str = ""
    kind: ChatKind = ChatKind.PRIVATE
    title: str = ""
    # False where the bot cannot delete what the person types (Slack DMs): sensitive answers go in forms there.
    erasable_input: bool = True

    @property
    def is_private(self) -> bool:
        """True for one-to-one chats with the bot."""
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True)
class Event:
    """Common part of every incoming event; ``event_id`` is the platform's id, used for dedup."""

    event_id: str
    actor: Actor
    chat: ChatRef


@dataclass(frozen=True)
class CommandEvent(Event):
    """A command such as ``/start`` or ``/sos help``; ``name`` is the canonical English command word."""

    name: str = ""
    args: tuple[str, ...] = ()
    form_token: str | None = None  # set where the platform can open a form in answer (Slack's trigger_id)


@dataclass(frozen=True)
class TextEvent(Event):
    """Free text typed by a person; ``message_id`` lets the bot delete it later (sensitive reports)."""

    text: str = ""
    message_id: str | None = None
    media: str | None = None  # "photo", "voice", "document"...: a file was sent; its caption is never read


@dataclass(frozen=True)
class ActionEvent(Event):
    """A button press. ``message_id`` is the message that carried the button, so it can be edited."""

    action: str = ""
    payload: str = ""
    message_id: str | None = None
    form_token: str | None = None  # set where a press lets the bot open a form (Slack's trigger_id)


@dataclass(frozen=True)
class FormEvent(Event):
    """A submitted multi-field form (a Slack modal, for instance)."""

    form: str = ""
    values: tuple[tuple[str, str], ...] = ()

    def value(self, key: str) -> str | None:
        """The submitted value of ``key``, or None."""
        return dict(self.values).get(key)


@dataclass(frozen=True)
class Button:
    """A button: its label (already translated) and the action it triggers.

    ``action`` and ``payload`` together must fit Telegram's 64-byte callback data with a separator.
    """

    label: str
    action: str
    payload: str = ""

    def __post_init__(self) -> None:
        if len(f"{self.action}:{self.payload}".encode()) > 64:
            raise ValueError(f"button data over 64 bytes: {self.action}:{self.payload}")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (an export, a document to print)."""

    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: plain text (adapters escape it), rows of buttons, and files sent before the text."""

    chat: ChatRef
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to: str | None = None
    rtl: bool = False
    attachments: tuple[Attachment, ...] = ()
    # An outbox subject under which the adapter records the sent message's id, so the outbox can delete it later.
    receipt: str | None = None


@dataclass(frozen=True)
class Edit:
    """Replace the text (and buttons) of a message the bot sent earlier."""

    chat: ChatRef
    message_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    rtl: bool = False


@dataclass(frozen=True)
class Notice:
    """A short answer to a button press (Telegram's answerCallbackQuery toast; Slack ephemeral)."""

    chat: ChatRef
    text: str


@dataclass(frozen=True)
class Delete:
    """Delete a message in a chat (the bot's own, or a person's in a private chat where the platform allows)."""

    chat: ChatRef
    message_id: str


@dataclass(frozen=True)
class FormField:
    """One input of a form."""

    key: str
    label: str
    multiline: bool = False


@dataclass(frozen=True)
class Form:
    """Open a multi-field form (a Slack modal); answered later by a :class:`FormEvent` named ``form``."""

    chat: ChatRef
    form: str
    title: str
    fields: tuple[FormField, ...]
    submit: str
    token: str


Outgoing = OutgoingMessage | Edit | Notice | Delete | Form


@dataclass
class Outcome:
    """What handling one event produced: what to send, in order, and whether it was a duplicate."""

    outgoing: list[Outgoing] = field(default_factory=list)
    duplicate: bool = False
    language: str = "en"  # the language the answers are in (an answer queued later keeps it)
