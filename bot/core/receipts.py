"""Receipts of direct answers: the platform id of a message sent straight after an event, kept for deletion.

A report's summary echoes what the person typed; it leaves directly (fast, with its buttons), and its id is
recorded here under the outbox subject the handler chose, so the outbox can delete it later, durably.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.events import OutgoingMessage
from bot.core.outbox_api import RECEIPT_LANGUAGE, Outbox
from storage.outbox import Target

log = logging.getLogger(__name__)


async def keep_receipt(
    sessions: async_sessionmaker[AsyncSession], message: OutgoingMessage, message_id: str
) -> None:
    """Record ``message_id`` under ``message.receipt`` (nothing to do without one); never raises."""
    if message.receipt is None or not message_id:
        return
    chat = message.chat
    target = Target(chat.platform, chat.chat_id, RECEIPT_LANGUAGE, chat.workspace, chat.kind)
    try:
        async with sessions() as session, session.begin():
            await Outbox(session).record_receipt(message.receipt, target, message_id)
    except (
        Exception
    ) as error:  # the message was sent; losing its receipt only leaves it for the person to delete
        log.error("receipt not recorded: %s", type(error).__name__)
