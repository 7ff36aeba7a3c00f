"""Delivery status of an appeal for the secretariat: sent, pending and failed copies (and why) per platform
and language, edits and follow-ups, and how many people said they acted; kept live in one message."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import Translator, translator
from bot.core.outbox_api import Draft, Outbox
from bot.core.router import SECRETARIAT, Router
from handlers.appeal_common import from_button, target_of
from handlers.appeal_render import status_label
from handlers.labels import failure_label, join, language_list, platform_label, target_label
from storage import deliveries
from storage.appeals import AppealRepository, pending_change, subject
from storage.models import Appeal

router = Router()
STATUS_ACTION = "appeal-status"
LIVE_SUBJECT = re.compile(r"appeal:(\d+)")
STATUS_WINDOW = timedelta(seconds=2)  # the live status message is edited at most this often


def refresh_button(found: Appeal, language: str) -> list[list[Button]]:
    """The Refresh button under a status message, in its reader's language."""
    return [[Button(translator(language).gettext("Refresh"), STATUS_ACTION, str(found.id))]]


async def status_text(session: AsyncSession, found: Appeal, t: Translator) -> str:
    """Delivery and action counts of an appeal, per platform and language, in ``t``'s language."""
    repo = AppealRepository(session)
    counts = await deliveries.status(session, subject(found.id))
    edits = await deliveries.status(session, subject(found.id), operation="edit")
    followups = await deliveries.status(session, f"{subject(found.id)}:followup")
    acted_count = await repo.acted_count(found.id)

    def summary(counter: Counter[str]) -> str:
        return t.gettext(
            "{sent} sent, {pending} pending, {failed} failed",
            sent=counter["sent"],
            pending=counter["pending"],
            failed=counter["failed"],
        )

    lines = [
        t.gettext(
            "{reference} ({status}): {summary}",
            reference=found.reference,
            status=status_label(t, found.status),
            summary=summary(counts.by_status),
        ),
        t.gettext(
            "Target: {target}. Texts: {languages}.",
            target=target_label(t, target_of(found)),
            languages=language_list(t, sorted(await repo.texts(found.id))),
        ),
    ]
    if found.status == "awaiting" or await pending_change(session, found.id) is not None:
        lines.append(t.gettext("Waiting for a second secretariat member to approve it."))
    for platform, counter in sorted(counts.by_platform.items()):
        lines.append(
            t.gettext("• {name}: {summary}", name=platform_label(t, platform), summary=summary(counter))
        )
    for language, counter in sorted(counts.by_language.items()):
        lines.append(
            t.gettext("• {name}: {summary}", name=t.language_name(language), summary=summary(counter))
        )
    if counts.failures:
        reasons = join(
            t,
            (
                t.gettext("{reason} ×{n}", reason=failure_label(t, reason), n=n)
                for reason, n in counts.failures.most_common()
            ),
        )
        lines.append(t.gettext("Failures: {reasons}", reasons=reasons))
    if edits.total:
        lines.append(t.gettext("Edits of the copies: {summary}", summary=summary(edits.by_status)))
    if followups.total:
        lines.append(t.gettext("Follow-ups: {summary}", summary=summary(followups.by_status)))
    lines.append(t.ngettext("{n} person said they acted.", "{n} people said they acted.", acted_count))
    return "\n".join(lines)


async def show_status(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal status REF``."""
    ctx.reply(await status_text(ctx.store.session, found, ctx.t), refresh_button(found, ctx.locale))


@router.on_progress
async def refresh_live_status(sessions: async_sessionmaker[AsyncSession], subjects: set[str]) -> None:
    """The worker delivered copies of some appeals: edit their live status messages (coalesced per 2 s)."""
    for name in subjects:
        match = LIVE_SUBJECT.fullmatch(name)
        if match is None:
            continue
        async with sessions() as session, session.begin():
            found = await session.get(Appeal, int(match.group(1)))
            if found is None:
                continue

            async def draft(language: str, found: Appeal = found, session: AsyncSession = session) -> Draft:
                return await status_text(session, found, translator(language)), refresh_button(
                    found, language
                )

            await Outbox(session).edit_all(f"{subject(found.id)}:status", draft, coalesce=STATUS_WINDOW)


@router.action(STATUS_ACTION, roles=SECRETARIAT)
async def refresh_status(ctx: Context, event: Event) -> None:
    """The Refresh button: edit the status message with fresh counts."""
    found = await from_button(ctx)
    if found is not None:
        ctx.edit(await status_text(ctx.store.session, found, ctx.t), refresh_button(found, ctx.locale))
