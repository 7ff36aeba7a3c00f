"""What a platform adapter may use of the process it runs in (and nothing more).

Adapters receive a :class:`Host` rather than the composition root, so they depend on the neutral core only:
events go to the dispatcher, direct answers through the shared reply sender, receipts through the store's
sessions; they never touch repositories or models themselves.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.replies import ReplySender


class Host(Protocol):
    """The process's parts an adapter uses (``bot.app.App`` is one)."""

    settings: Settings
    dispatcher: Dispatcher
    replies: ReplySender
    sessions: async_sessionmaker[AsyncSession]
