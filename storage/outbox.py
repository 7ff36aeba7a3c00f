"""Writing fan-out messages into the outbox (delivery rows), in the caller's transaction.

Handlers never call a platform: they enqueue here, in the same transaction as the change that causes the
message, and the outbox worker (bot/core/outbox.py) delivers. A row is unique per (subject, target,
revision), so enqueueing the same thing twice is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import Button, ChatKind, ChatRef, Edit, OutgoingMessage
from storage.models import Delivery

URGENT, NORMAL, ROUTINE = 0, 5, 9  # lower goes first
ERASE = "erase"  # operation: delete messages whose platform ids are known (a person's own, in their chat)
DELETE = "delete"  # operation: delete the delivered copy of the same subject (a bot message)
NOTIFY_CHANNEL = "sos_outbox"  # PostgreSQL channel: the payload is the platform whose rows were queued
_NOTIFIED = "sos_outbox_notified"  # session.info key: (transaction, platforms already notified in it)


@dataclass(frozen=True)
class Target:
    """Where one copy goes, and in which language it was written."""

    platform: str
    chat_id: str
    language: str
    workspace: str = ""
    kind: ChatKind = ChatKind.GROUP
    timezone: str | None = None  # the reader's, for dates; None for channels (UTC, named as such)

    def chat(self) -> ChatRef:
        """The neutral chat reference of this target."""
        return ChatRef(self.platform, self.chat_id, self.workspace, self.kind)


def encode(
    text: str,
    buttons: Sequence[Sequence[Button]] = (),
    rtl: bool = False,
    reply_to: str | None = None,
    kind: ChatKind = ChatKind.GROUP,
) -> str:
    """Serialise a message for the outbox."""
    data: dict[str, Any] = {
        "text": text,
        "buttons": [[[b.label, b.action, b.payload] for b in row] for row in buttons],
        "rtl": rtl,
        "reply_to": reply_to,
        "kind": kind.value,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _decoded(delivery: Delivery) -> tuple[ChatRef, dict[str, Any], tuple[tuple[Button, ...], ...]]:
    data: dict[str, Any] = json.loads(delivery.payload)
    chat = ChatRef(
        delivery.platform, delivery.chat_id, delivery.workspace, ChatKind(data.get("kind", "group"))
    )
    buttons = tuple(tuple(Button(*b) for b in row) for row in data.get("buttons", []))
    return chat, data, buttons


def encode_erasure(message_ids: Sequence[str], kind: ChatKind = ChatKind.PRIVATE) -> str:
    """Serialise the platform ids of messages to delete in one chat (an ``erase`` row)."""
    return json.dumps({"ids": list(message_ids), "kind": kind.value}, separators=(",", ":"))


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


def to_edit(delivery: Delivery, message_id: str) -> Edit:
    """The edit an ``edit`` row carries, applied to the copy whose platform id is ``message_id``."""
    chat, data, buttons = _decoded(delivery)
    return Edit(chat, message_id, data["text"], buttons, rtl=data.get("rtl", False))


async def notify_queued(session: AsyncSession, platforms: Iterable[str]) -> None:
    """Wake the workers of ``platforms`` when the caller's transaction commits (PostgreSQL ``NOTIFY``).

    ``pg_notify`` inside the transaction is delivered on commit only (and dropped on rollback), so a worker
    never wakes before the rows are visible. Each platform is notified once per transaction, whatever the
    number of rows. SQLite has no notifications: its worker polls.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    seen_in, seen = session.info.get(_NOTIFIED, (None, set()))
    if seen_in is not transaction:
        seen = set()
        session.info[_NOTIFIED] = (transaction, seen)
    for platform in sorted(set(platforms) - seen):
        await session.execute(
            text("SELECT pg_notify(:channel, :platform)"), {"channel": NOTIFY_CHANNEL, "platform": platform}
        )
        seen.add(platform)


class OutboxRepository:
    """Enqueue deliveries in the current transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(
        self,
        subject: str,
        target: Target,
        payload: str,
        *,
        priority: int = NORMAL,
        revision: int = 1,
        operation: str = "send",
    ) -> Delivery | None:
        """Add one delivery row; None when this (subject, target, revision) is already queued."""
        delivery = Delivery(
            subject=subject,
            revision=revision,
            operation=operation,
            platform=target.platform,
            workspace=target.workspace,
            chat_id=target.chat_id,
            language=target.language,
            priority=priority,
            payload=payload,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(delivery)
        except IntegrityError:
            return None
        await notify_queued(self.session, (target.platform,))
        return delivery

    async def erase(self, subject: str, target: Target, message_ids: Sequence[str]) -> Delivery | None:
        """Queue the deletion of messages whose ids are known (e.g. what a person typed in a report)."""
        if not message_ids:
            return None
        payload = encode_erasure(message_ids, target.kind)
        return await self.enqueue(subject, target, payload, priority=URGENT, operation=ERASE)

    async def delete_copy(self, subject: str, target: Target, revision: int) -> Delivery | None:
        """Queue the deletion of the message sent (or recorded by receipt) under ``subject`` to ``target``."""
        payload = encode("", kind=target.kind)
        return await self.enqueue(
            subject, target, payload, priority=URGENT, revision=revision, operation=DELETE
        )
