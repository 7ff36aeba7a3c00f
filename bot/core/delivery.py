"""What every platform adapter offers for sending, and the platform failures it reports, in neutral terms.

Adapters translate their SDK's exceptions into :class:`DeliveryError` so the outbox worker and the
direct-reply path apply one policy (retry after, deactivate, follow a migration, back off) for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from aiohttp import web

from bot.core.events import ChatRef, Edit, OutgoingMessage


class FailureKind(StrEnum):
    """How a platform refused a request."""

    RATE_LIMITED = "rate_limited"  # 429: retry after ``retry_after`` seconds
    BLOCKED = "blocked"  # 403: the user blocked the bot or the bot was removed
    NOT_FOUND = "not_found"  # 400 chat not found / channel_not_found
    MIGRATED = "migrated"  # Telegram group became a supergroup: ``new_chat_id``
    TRANSIENT = "transient"  # 5xx, timeouts, network errors: retry with backoff
    REJECTED = "rejected"  # any other 4xx: retrying will not help


@dataclass
class DeliveryError(Exception):
    """A platform refused or failed a request."""

    kind: FailureKind
    detail: str = ""
    retry_after: float | None = None
    new_chat_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.detail}" if self.detail else self.kind.value


class PlatformAdapter(Protocol):
    """One platform's connection: receives events (webhook routes, polling) and sends messages."""

    platform: str

    def routes(self) -> Sequence[web.RouteDef]:
        """HTTP routes this adapter serves on the bot's aiohttp server (webhooks), possibly none."""
        ...

    async def start(self) -> None:
        """Begin receiving (polling, socket mode or webhook registration)."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def send(self, message: OutgoingMessage) -> str:
        """Send a message; returns the platform's message id. Raises :class:`DeliveryError`."""
        ...

    async def edit(self, edit: Edit) -> None:
        """Edit a message sent earlier. Raises :class:`DeliveryError`."""
        ...

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        """Delete a message sent earlier. Raises :class:`DeliveryError`."""
        ...


async def erase_messages(adapter: PlatformAdapter, chat: ChatRef, message_ids: Sequence[str]) -> None:
    """Delete several messages of one chat: in one call where the adapter can (``delete_many``), else one by one.

    Raises:
        DeliveryError: the platform's refusal; the outbox retries the whole row (deleting twice is harmless).
    """
    delete_many = getattr(adapter, "delete_many", None)
    if delete_many is not None:
        await delete_many(chat, message_ids)
        return
    for message_id in message_ids:
        await adapter.delete(chat, message_id)
