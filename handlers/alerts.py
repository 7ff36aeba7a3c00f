"""Telling the secretariat when a delivery target is lost (the bot was blocked, removed or the chat is gone)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.core.delivery import FailureKind
from bot.core.i18n import N_, Translator, translator
from storage.models import Case, Channel, Delivery
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
        outbox = OutboxRepository(session)
        case = await _case_of(session, row.subject)
        for target in await secretariat_targets(session, app.settings.default_language):
            t = translator(target.language)
            text = _notice_text(t, row, channel, case, kind)
            await outbox.enqueue(
                f"lost:{row.platform}:{row.chat_id}",
                target,
                encode(text, rtl=t.rtl, kind=target.kind),
                priority=URGENT,
            )


async def _case_of(session: AsyncSession, subject: str) -> Case | None:
    """The case a delivery was about (``case:<id>:…``), to name it by its reference."""
    kind, _, rest = subject.partition(":")
    number = rest.partition(":")[0]
    return await session.get(Case, int(number)) if kind == "case" and number.isdigit() else None


def _notice_text(
    t: Translator, row: Delivery, channel: Channel | None, case: Case | None, kind: FailureKind
) -> str:
    """What the secretariat reads. A person's private chat is never named by its id (the relay's
    pseudonymity): it is "a private chat", or "the reporter of SOS-…" when the message was the relay's."""
    reason = t.gettext(REASONS.get(kind, N_("the chat no longer exists")))
    if channel is not None:
        return t.gettext(
            "Delivery of {subject} to {chat} ({platform}) failed: {reason}. It will receive nothing more "
            "until it is registered again.",
            subject=row.subject,
            chat=channel.title or t.gettext("a registered channel"),
            platform=row.platform,
            reason=reason,
        )
    if case is not None:
        return t.gettext(
            "A message to the reporter of {reference} could not be delivered: {reason}. They can still write "
            "again; until then they receive nothing more.",
            reference=case.reference,
            reason=reason,
        )
    return t.gettext(
        "A message to a person's private chat ({platform}) could not be delivered: {reason}. They receive "
        "nothing more until they write to the bot again.",
        platform=row.platform,
        reason=reason,
    )
