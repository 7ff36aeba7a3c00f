"""What the dashboard's appeal pages read and do beyond the chat's own operations: the list with its counts,
who each failed copy was for, and sending failed copies again (through the outbox API, audited).

Drafting, translating, targeting, sending and approving are the chat's operations themselves
(``appeal_draft.create`` / ``save_text``, ``appeal_send.retarget`` / ``send`` / ``approve``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.core.context import Context
from handlers.appeal_common import repo
from handlers.appeal_render import pick_text
from storage import deliveries
from storage.appeals import subject
from storage.deliveries import DeliveryStatus
from storage.models import Appeal, Channel, Delivery, Identity, Person

FAILURES_SHOWN = 200  # the delivery page lists at most this many failed copies (the counts cover all)


@dataclass(frozen=True)
class AppealRow:
    """One line of the appeals list."""

    appeal: Appeal
    title: str
    languages: list[str]
    counts: DeliveryStatus


async def appeal_rows(ctx: Context, limit: int = 50) -> list[AppealRow]:
    """The latest appeals with their title in the reader's language (else a fallback) and copy counts."""
    rows = []
    for found in await repo(ctx).recent(limit):
        texts = await repo(ctx).texts(found.id)
        title = pick_text(texts, ctx.locale, ctx.settings.default_language)[0].title if texts else ""
        counts = await deliveries.status(ctx.store.session, subject(found.id))
        rows.append(AppealRow(found, title, sorted(texts), counts))
    return rows


@dataclass(frozen=True)
class FailedCopy:
    """A copy that could not be delivered: to whom (a channel's title or a person's name), where, why."""

    recipient: str | None  # None when the chat is no longer known
    private: bool  # a person's private chat rather than a channel
    platform: str
    language: str
    reason: str  # the failure's kind (``blocked``, ``not_found``…), for ``labels.failure_label``
    attempts: int
    when: datetime


async def failed_copies(ctx: Context, found: Appeal) -> list[FailedCopy]:
    """The appeal's failed copies, newest first, each named as the secretariat knows its recipient."""
    session = ctx.store.session
    rows: Sequence[Delivery] = (
        (
            await session.execute(
                select(Delivery)
                .where(
                    Delivery.subject == subject(found.id),
                    Delivery.operation == "send",
                    Delivery.status == deliveries.FAILED,
                )
                .order_by(Delivery.id.desc())
                .limit(FAILURES_SHOWN)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    chat_ids = list({row.chat_id for row in rows})
    channels = {
        (c.platform, c.workspace, c.chat_id): c.title or ""
        for c in (await session.execute(select(Channel).where(Channel.chat_id.in_(chat_ids)))).scalars()
    }
    people = {
        (i.platform, i.workspace, i.private_chat_id or ""): p.display_name or ""
        for i, p in (
            await session.execute(
                select(Identity, Person)
                .join(Person, Person.id == Identity.person_id)
                .where(Identity.private_chat_id.in_(chat_ids))
            )
        ).all()
    }
    found_copies = []
    for row in rows:
        key = (row.platform, row.workspace, row.chat_id)
        name = channels.get(key, people.get(key))
        found_copies.append(
            FailedCopy(
                recipient=name,
                private=key not in channels and key in people,
                platform=row.platform,
                language=row.language,
                reason=(row.last_error or "unknown").split(":")[0],
                attempts=row.attempts,
                when=row.created_at,
            )
        )
    return found_copies


async def retry_failed(ctx: Context, found: Appeal) -> int:
    """Send the appeal's failed copies again (audited); returns how many go again."""
    count = await ctx.outbox.retry_failed(subject(found.id))
    if count:
        await ctx.audit("appeal.retry", f"appeal:{found.id}", copies=count)
    ctx.reply(
        ctx.ngettext(
            "{n} failed copy of {reference} goes again.",
            "{n} failed copies of {reference} go again.",
            count,
            reference=found.reference,
        )
    )
    return count
