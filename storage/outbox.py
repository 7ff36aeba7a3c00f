"""Writing delivery rows into the outbox, in the caller's transaction.

Handlers never call a platform and never write here themselves: they call the outbox API in the core
(``bot/core/outbox_api.py``), which encodes the message and enqueues it here, in the same transaction as the
change that causes it; the outbox worker (bot/core/outbox.py) delivers. The payload is opaque text to the
store. A row is unique per (subject, target, revision), so enqueueing the same thing twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery

URGENT, NORMAL, ROUTINE = 0, 5, 9  # lower goes first
ERASE = "erase"  # operation: delete messages whose platform ids are known (a person's own, in their chat)
DELETE = "delete"  # operation: delete the delivered copy of the same subject (a bot message)


@dataclass(frozen=True)
class Target:
    """Where one copy goes, and in which language it was written."""

    platform: str
    chat_id: str
    language: str
    workspace: str = ""
    kind: str = "group"  # the chat kind's value ("private", "group", "channel"): the core's ChatKind
    timezone: str | None = None  # the reader's, for dates; None for channels (UTC, named as such)


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
        return delivery
