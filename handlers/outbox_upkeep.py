"""Keeping the outbox small: what was delivered and is no longer needed is deleted every hour.

A letter delivered to 3,000 chats and signed 500 times leaves hundreds of thousands of sent edit rows behind;
left alone they slow every claim and grow the database without end. What goes and what stays is decided in
:func:`storage.edits.prune_delivered`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.router import Router
from storage.edits import prune_delivered
from storage.models import utcnow

# Kept a day after delivery: enough to see what went out today, in the dashboard or the database.
KEEP_DELIVERED = timedelta(days=1)

router = Router()


@router.job("outbox upkeep", every=3600)
async def prune_outbox(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Delete sent edits, sent direct replies and unread window texts delivered more than a day ago."""
    async with sessions() as session, session.begin():
        return await prune_delivered(session, utcnow() - KEEP_DELIVERED)
