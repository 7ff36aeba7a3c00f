"""What the letter handlers share: the repository, whether signing is open, refreshing every published
copy with its live count, and voiding a request for approval when the letter changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.context import Context
from bot.core.outbox_api import Draft
from bot.core.router import Router
from handlers.letter_render import body_for, render, sign_button
from storage.letters import LetterRepository
from storage.models import Letter, utcnow
from storage.outbox import ROUTINE

EDITABLE = ("draft", "awaiting", "published")  # a closed letter no longer changes
COUNT_WINDOW = timedelta(seconds=10)  # at most one count edit per copy in this window; the last one lands
SUBJECT = "letter"  # a letter's copies are the subject "letter:<id>"

router = Router()


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
    """Edit every published copy with the letter's text, deadline and count as they stand when the window ends.

    The text is rendered when the edits leave (:func:`as_it_stands`): a sign-on within a window already open
    writes nothing but its signature, however many organisations sign at once.
    """
    await ctx.outbox.edit_live(
        f"{SUBJECT}:{found.id}",
        coalesce=COUNT_WINDOW,
        priority=ROUTINE,  # a live count: it waits while people are being answered, and the next one replaces it
    )


@router.live_text(SUBJECT)
async def as_it_stands(
    session: AsyncSession, settings: Settings, subject: str, language: str
) -> Draft | None:
    """A published copy as a reader of ``language`` sees it now: text, deadline, count and the Sign button."""
    letter_id = subject.partition(":")[2]
    found = await session.get(Letter, int(letter_id)) if letter_id.isdigit() else None
    if found is None:
        return None
    letters = LetterRepository(session)
    body = body_for(await letters.texts(found.id), language, settings.default_language)
    return render(found, body, language, await letters.count(found.id)), sign_button(found, language)


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
