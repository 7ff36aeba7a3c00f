"""What the letter handlers share: the repository, whether signing is open, refreshing every published
copy, and voiding a request for approval when the letter changes."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Context
from handlers.letter_render import body_for, render, sign_button
from storage.letters import LetterRepository
from storage.models import Letter, utcnow
from storage.outbox import ROUTINE

EDITABLE = ("draft", "awaiting", "published")  # a closed letter no longer changes
COUNT_WINDOW = timedelta(seconds=10)  # at most one count edit per copy in this window; the last one lands


def repo(ctx: Context) -> LetterRepository:
    """The letter repository on the event's session."""
    return LetterRepository(ctx.store.session)


def is_open(found: Letter | None) -> bool:
    """Published, and its deadline (if any) still to come."""
    return (
        found is not None
        and found.status == "published"
        and (found.deadline is None or found.deadline > utcnow())
    )


async def queue_counts(ctx: Context, found: Letter) -> None:
    """Edit every published copy with the letter's current text, deadline and count (coalesced)."""
    texts = await repo(ctx).texts(found.id)
    count = await repo(ctx).count(found.id)
    default = ctx.settings.default_language
    await ctx.outbox.edit_all(
        f"letter:{found.id}",
        lambda language: (
            render(found, body_for(texts, language, default), language, count),
            sign_button(found, language),
        ),
        coalesce=COUNT_WINDOW,
        priority=ROUTINE,  # a live count: it waits while people are being answered, and the next one replaces it
    )


def reopen(ctx: Context, found: Letter) -> None:
    """A change to a letter awaiting approval voids the request: what gets approved is what goes out."""
    if found.status == "awaiting":
        found.status = "draft"
        ctx.reply(
            ctx._(
                "This change cancels the request for approval: publish {reference} again when it is ready.",
                reference=found.reference,
            )
        )


def closed(ctx: Context, found: Letter) -> bool:
    """True (and said) when the letter is closed and can no longer change."""
    if found.status in EDITABLE:
        return False
    ctx.reply(ctx._("{reference} is closed: it can no longer be changed.", reference=found.reference))
    return True
