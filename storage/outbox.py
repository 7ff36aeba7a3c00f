"""Writing delivery rows into the outbox, in the caller's transaction.

Handlers never call a platform and never write here themselves: they call the outbox API in the core
(``bot/core/outbox_api.py``), which encodes the message and enqueues it here, in the same transaction as the
change that causes it; the outbox worker (bot/core/outbox.py) delivers. The payload is opaque text to the
store. A row is unique per (subject, target, revision), so enqueueing the same thing twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery

URGENT, NORMAL, ROUTINE = 0, 5, 9  # lower goes first
ERASE = "erase"  # operation: delete messages whose platform ids are known (a person's own, in their chat)
DELETE = "delete"  # operation: delete the delivered copy of the same subject (a bot message)
REPLY_SUBJECT = "reply:"  # a direct reply that could not leave at once, handed to the outbox
NOTIFY_CHANNEL = "sos_outbox"  # PostgreSQL channel: the payload is the platform whose rows were queued
_NOTIFIED = "sos_outbox_notified"  # session.info key: (transaction, platforms already notified in it)


@dataclass(frozen=True)
class Target:
    """Where one copy goes, and in which language it was written."""

    platform: str
    chat_id: str
    language: str
    workspace: str = ""
    kind: str = "group"  # the chat kind's value ("private", "group", "channel"): the core's ChatKind
    timezone: str | None = None  # the reader's, for dates; None for channels (UTC, named as such)


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
