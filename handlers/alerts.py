"""Telling the secretariat when a delivery target is lost (the bot was blocked, removed or the chat is gone).

The notice says what did not arrive and where in words a person understands (the appeal's or case's
reference, the group's name, the platform), never an internal key or a platform id.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.delivery import FailureKind
from bot.core.i18n import N_, Translator, translator
from bot.core.outbox_api import Outbox
from bot.core.router import Router
from handlers.reminders import PLATFORM_NAMES
from storage.models import Appeal, Case, Channel, Delivery, Letter
from storage.outbox import URGENT
from storage.targeting import secretariat_targets

REASONS = {
    FailureKind.BLOCKED: N_("the bot was blocked or removed"),
    FailureKind.NOT_FOUND: N_("the chat no longer exists"),
}
REFERENCED = {"appeal": Appeal.reference, "case": Case.reference, "letter": Letter.reference}


async def reference_of(session: AsyncSession, subject: str) -> tuple[str, str, str | None]:
    """(kind, part, reference) of a subject like ``case:4:reporter``; reference None when unknown."""
    kind, _, rest = subject.partition(":")
    number, _, part = rest.partition(":")
    column = REFERENCED.get(kind)
    if column is None or not number.isdigit():
        return kind, part, None
    found = await session.execute(select(column).where(column.class_.id == int(number)))
    return kind, part, found.scalar_one_or_none()


def what_failed(t: Translator, kind: str, part: str, reference: str | None) -> str:
    """What did not arrive, e.g. "The message to the reporter of case SOS-…-0004"."""
    if reference is None:
        return t.gettext("A message")
    if kind == "case" and part == "reporter":
        return t.gettext("The message to the reporter of case {reference}", reference=reference)
    if kind == "case":
        return t.gettext("The alert about case {reference}", reference=reference)
    if kind == "appeal":
        return t.gettext("Urgent appeal {reference}", reference=reference)
    return t.gettext("Collective letter {reference}", reference=reference)


router = Router()


@router.on_target_lost
async def target_lost(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, row: Delivery, kind: FailureKind
) -> None:
    """The outbox's hook: tell the secretariat (see :func:`notify_target_lost`)."""
    await notify_target_lost(sessions, settings.default_language, row, kind)


async def notify_target_lost(
    sessions: async_sessionmaker[AsyncSession], default_language: str, row: Delivery, kind: FailureKind
) -> None:
    """Queue a notice to the secretariat: what, where, why, and that nothing more goes there.

    Args:
        sessions: the store.
        default_language: the language of secretariat members who chose none.
        row: the delivery that found its target gone.
        kind: why (blocked, not found).
    """
    async with sessions() as session, session.begin():
        channel = (
            await session.execute(
                select(Channel).where(
                    Channel.platform == row.platform,
                    Channel.workspace == row.workspace,
                    Channel.chat_id == row.chat_id,
                )
            )
        ).scalar_one_or_none()
        subject_kind, part, reference = await reference_of(session, row.subject)
        outbox = Outbox(session)
        for target in await secretariat_targets(session, default_language):
            t = translator(target.language)
            values = {
                "what": what_failed(t, subject_kind, part, reference),
                "platform": t.gettext(PLATFORM_NAMES.get(row.platform, row.platform)),
                "reason": t.gettext(REASONS.get(kind, N_("the chat no longer exists"))),
            }
            if channel is not None:
                text = t.gettext(
                    "{what} could not be delivered to {chat} on {platform}: {reason}. Nothing more "
                    "will be sent there until it is registered again.",
                    chat=channel.title or t.gettext("(no name)"),
                    **values,
                )
            else:
                text = t.gettext(
                    "{what} could not be delivered to a private chat on {platform}: {reason}. That person "
                    "can no longer be reached there.",
                    **values,
                )
            await outbox.send(f"lost:{row.platform}:{row.chat_id}", target, text, priority=URGENT)
