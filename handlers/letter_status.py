"""A letter's progress for the secretariat: who signed (organisation, country, when, name where
consented), reminders to the members within its target who have not signed, closing with thanks (by hand
or at the deadline), and the export as files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import LANGUAGES, Settings
from bot.core import revisions
from bot.core.context import Context
from bot.core.events import Attachment
from bot.core.i18n import translator
from bot.core.outbox_api import Outbox
from bot.core.router import Router, typed
from handlers.labels import language_list
from handlers.letter_common import repo
from handlers.letter_render import (
    body_for,
    country_name,
    export_csv,
    export_html,
    export_language,
    sign_button,
    status_label,
)
from storage.letters import LetterRepository
from storage.models import Letter, utcnow
from storage.repositories import AuditRepository
from storage.targeting import private_target

STATUS_LIMIT = 50  # signatories listed in chat; the export has them all
REMINDER_PERIOD = timedelta(hours=1)


async def show_status(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter status REF``: the count, then each signatory as it will be published."""
    signatories = await repo(ctx).signatories(found.id)
    lines = [
        ctx.ngettext(
            "{reference} ({status}): {n} signature.",
            "{reference} ({status}): {n} signatures.",
            len(signatories),
            reference=found.reference,
            status=status_label(ctx.t, found.status),
        )
    ]
    for s in signatories[:STATUS_LIMIT]:
        when = ctx.t.format_datetime(s.signed_at, "medium")
        if s.organisation:
            country = country_name(ctx.locale, s.country) if s.country else "—"
            if s.signer:
                lines.append(ctx._("• {organisation} ({country}), {date} — {name}", organisation=s.organisation,
                                   country=country, date=when, name=s.signer))  # fmt: skip
            else:
                lines.append(ctx._("• {organisation} ({country}), {date}", organisation=s.organisation,
                                   country=country, date=when))  # fmt: skip
        else:
            lines.append(ctx._("• {name}, {date}", name=s.signer, date=when))
    if len(signatories) > STATUS_LIMIT:
        more = len(signatories) - STATUS_LIMIT
        lines.append(ctx.ngettext("… and {n} more: {export}.", "… and {n} more: {export}.", more,
                                  export=typed(ctx.t, "letter", "export", found.reference)))  # fmt: skip
    ctx.reply("\n".join(lines))


async def remind(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter remind REF``: the members within the letter's target who have not signed, privately."""
    if found.status != "published":
        ctx.reply(ctx._("{reference} is not open for signature.", reference=found.reference))
        return
    spec = await repo(ctx).target(found.id)
    revision = revisions.per_period(REMINDER_PERIOD, utcnow())  # at most one reminder per person and hour
    queued = 0
    for target, organisation in await repo(ctx).unsigned_members(found, spec, ctx.settings.default_language):
        t = translator(target.language)
        if found.signing_mode == "individuals":
            text = t.gettext("Reminder: you have not signed the collective letter {reference} yet.",
                             reference=found.reference)  # fmt: skip
        else:
            text = t.gettext("Reminder: {organisation} has not signed the collective letter {reference} yet.",
                             organisation=organisation, reference=found.reference)  # fmt: skip
        queued += await ctx.fan_out(
            f"letter:{found.id}:remind", target, text, sign_button(found, target.language), revision=revision
        )
    await ctx.audit("letter.remind", f"letter:{found.id}", people=queued)
    ctx.reply(ctx.ngettext("{n} reminder queued.", "{n} reminders queued.", queued))


async def close(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter close REF``: signing ends now; each signer is thanked."""
    if found.status == "closed":
        ctx.reply(ctx._("{reference} is already closed.", reference=found.reference))
        return
    await close_and_thank(ctx.store.session, found, ctx.settings.default_language)
    await ctx.audit("letter.close", f"letter:{found.id}")
    ctx.reply(ctx._("{reference} is closed.", reference=found.reference))


async def close_and_thank(session: AsyncSession, found: Letter, default_language: str) -> None:
    """Close a letter and thank each signer in their language."""
    found.status = "closed"
    outbox = Outbox(session)
    for person_id in await LetterRepository(session).signer_persons(found.id):
        target = await private_target(session, person_id, default_language)
        if target is None:
            continue
        t = translator(target.language)
        text = t.gettext(
            "Thank you for signing {reference}. Signing is now closed.", reference=found.reference
        )
        await outbox.send(f"letter:{found.id}:thanks", target, text)


router = Router()


@router.job("letter deadlines", every=60)
async def letter_deadlines(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """The periodic job: close the letters whose deadline has passed."""
    return await close_due_letters(sessions, settings.default_language)


async def close_due_letters(sessions: async_sessionmaker[AsyncSession], default_language: str) -> int:
    """Close every published letter whose deadline has passed, thanking its signers; returns how many."""
    async with sessions() as session, session.begin():
        due = await LetterRepository(session).due(utcnow())
        for found in due:
            await close_and_thank(session, found, default_language)
            await AuditRepository(session).record(
                None, "letter.close", f"letter:{found.id}", reason="deadline"
            )
        return len(due)


@dataclass(frozen=True)
class LetterExport:
    """A letter's export: its language, how many signed, and the two files (CSV and HTML)."""

    language: str
    count: int
    files: list[Attachment]


async def prepare_export(ctx: Context, found: Letter, asked: str) -> LetterExport | None:
    """The signatories as CSV and the letter as an HTML document (its first language, or the one ``asked``),
    audited; None (with the reason answered) when the letter has no text or the language is unknown.

    The chat's ``LETTER export`` and the dashboard's downloads both call this.
    """
    signatories = await repo(ctx).signatories(found.id)
    texts = await repo(ctx).texts(found.id)
    if not texts:
        ctx.reply(ctx._("{reference} has no text yet.", reference=found.reference))
        return None
    language = export_language(asked, texts)
    if language is None:
        ctx.reply(
            ctx._(
                "I cannot export in {language}. Choose one of: {languages}.",
                language=asked,
                languages=language_list(ctx.t, LANGUAGES),
            )
        )
        return None
    body = body_for(texts, language, ctx.settings.default_language)
    await ctx.audit("letter.export", f"letter:{found.id}", language=language)
    files = [
        Attachment(f"{found.reference}.csv", export_csv(language, signatories).encode(), "text/csv"),
        Attachment(
            f"{found.reference}.html", export_html(found, body, language, signatories).encode(), "text/html"
        ),
    ]
    return LetterExport(language, len(signatories), files)


async def export(ctx: Context, found: Letter, args: list[str]) -> None:
    """``LETTER export REF [language]``: the two files in this chat."""
    made = await prepare_export(ctx, found, " ".join(args))
    if made is None:
        return
    ctx.reply(
        ctx.ngettext(
            "{reference}: {n} signatory.",
            "{reference}: {n} signatories.",
            made.count,
            reference=found.reference,
        ),
        attachments=made.files,
    )
