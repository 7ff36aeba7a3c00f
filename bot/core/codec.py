"""The outbox's payload codec: what a delivery row's opaque text means as a neutral message.

The store keeps a row's payload as opaque (encrypted) text; only the core knows it is JSON carrying the text,
the buttons, the reading direction and the chat kind. Edits and deletions apply to a copy delivered earlier:
their chat is the copy's chat, so an edit never guesses the kind of chat it lands in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core.events import Button, ChatKind, ChatRef, Edit, OutgoingMessage
from storage.models import Delivery
from storage.outbox import Target


def encode(
    text: str,
    buttons: Sequence[Sequence[Button]] = (),
    rtl: bool = False,
    reply_to: str | None = None,
    kind: ChatKind | str = ChatKind.GROUP,
) -> str:
    """Serialise a message for the outbox."""
    data: dict[str, Any] = {
        "text": text,
        "buttons": [[[b.label, b.action, b.payload] for b in row] for row in buttons],
        "rtl": rtl,
        "reply_to": reply_to,
        "kind": ChatKind(kind).value,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def encode_erasure(message_ids: Sequence[str], kind: ChatKind | str = ChatKind.PRIVATE) -> str:
    """Serialise the platform ids of messages to delete in one chat (an ``erase`` row)."""
    return json.dumps({"ids": list(message_ids), "kind": ChatKind(kind).value}, separators=(",", ":"))


def chat_of(target: Target) -> ChatRef:
    """The neutral chat reference of an outbox target."""
    return ChatRef(target.platform, target.chat_id, target.workspace, ChatKind(target.kind))


def target_of(copy: Delivery) -> Target:
    """Where a delivered copy went (its chat kind read from the copy), in the copy's language."""
    return Target(copy.platform, copy.chat_id, copy.language, copy.workspace, _kind(copy.payload, "group"))


def _kind(payload: str, default: str) -> ChatKind:
    data: dict[str, Any] = json.loads(payload)
    return ChatKind(data.get("kind", default))


def _decoded(delivery: Delivery) -> tuple[ChatRef, dict[str, Any], tuple[tuple[Button, ...], ...]]:
    data: dict[str, Any] = json.loads(delivery.payload)
    chat = ChatRef(
        delivery.platform, delivery.chat_id, delivery.workspace, ChatKind(data.get("kind", "group"))
    )
    buttons = tuple(tuple(Button(*b) for b in row) for row in data.get("buttons", []))
    return chat, data, buttons


def to_erasure(delivery: Delivery) -> tuple[ChatRef, tuple[str, ...]]:
    """The chat and the message ids an ``erase`` row deletes."""
    data: dict[str, Any] = json.loads(delivery.payload)
    chat = ChatRef(
        delivery.platform, delivery.chat_id, delivery.workspace, ChatKind(data.get("kind", "private"))
    )
    return chat, tuple(str(i) for i in data.get("ids", []))


def to_message(delivery: Delivery) -> OutgoingMessage:
    """The message a ``send`` row carries."""
    chat, data, buttons = _decoded(delivery)
    return OutgoingMessage(
        chat, data["text"], buttons, reply_to=data.get("reply_to"), rtl=data.get("rtl", False)
    )


def to_edit(delivery: Delivery, copy: Delivery, text: str | None = None) -> Edit:
    """The edit an ``edit`` row carries, applied to ``copy`` (the delivered message it replaces).

    The chat, and so its kind, is the copy's: edits of every copy are written in one statement per subject
    and carry only what depends on the reader's language (text, buttons, direction). ``text``: the encoded
    text of the row's coalescing window (``storage.edits.window_text``), which replaces the row's own.
    """
    assert copy.platform_message_id is not None
    data: dict[str, Any] = json.loads(delivery.payload if text is None else text)
    buttons = tuple(tuple(Button(*b) for b in row) for row in data.get("buttons", []))
    chat = ChatRef(copy.platform, copy.chat_id, copy.workspace, _kind(copy.payload, "group"))
    return Edit(chat, copy.platform_message_id, data["text"], buttons, rtl=data.get("rtl", False))
