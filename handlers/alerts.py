"""Telling the secretariat when a delivery target is lost (the bot was blocked, removed or the chat is gone)."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.core.delivery import FailureKind
from bot.core.i18n import N_, translator
from storage.models import Channel, Delivery
from storage.outbox import URGENT, OutboxRepository, encode
from storage.targeting import secretariat_targets

REASONS = {
    FailureKind.BLOCKED: N_("the bot was blocked or removed"),
    FailureKind.NOT_FOUND: N_("the chat no longer exists"),
}


async def notify_target_lost(app: App, row: Delivery, kind: FailureKind) -> None:
    """Queue a notice to the secretariat: which chat, why, and that it receives nothing more."""
    async with app.sessions() as session, session.begin():
        channel = (
            await session.execute(
                select(Channel).where(
                    Channel.platform == row.platform,
                    Channel.workspace == row.workspace,
                    Channel.chat_id == row.chat_id,
                )
            )
        ).scalar_one_or_none()
        name = channel.title if channel is not None and channel.title else row.chat_id
        outbox = OutboxRepository(session)
        for target in await secretariat_targets(session, app.settings.default_language):
            t = translator(target.language)
            text = t.gettext(
                "Delivery of {subject} to {chat} ({platform}) failed: {reason}. It will receive nothing more "
                "until it is registered again.",
                subject=row.subject,
                chat=name,
                platform=row.platform,
                reason=t.gettext(REASONS.get(kind, N_("the chat no longer exists"))),
            )
            await outbox.enqueue(
                f"lost:{row.platform}:{row.chat_id}",
                target,
                encode(text, rtl=t.rtl, kind=target.kind),
                priority=URGENT,
            )
