"""Targeting, preview and sending of an appeal, with the optional two-person rule (a second secretariat
member approves before anything goes out)."""

from __future__ import annotations

from collections.abc import Collection

from bot.core import revisions
from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import translator
from bot.core.outbox_api import Message
from bot.core.router import SECRETARIAT, Router, typed
from bot.dashboard.links import WEB_PLATFORM
from handlers import appeal_approval, reach
from handlers.appeal_common import (
    APPROVE_ACTION,
    PREVIEW_ACTION,
    from_button,
    letter_reference,
    repo,
    target_of,
    tell_secretariat,
)
from handlers.appeal_render import acted_button, render
from handlers.appeal_status import STATUS_ACTION, refresh_button, status_text
from handlers.labels import parse_target, target_label
from storage.appeals import TWO_PERSON_RULE, setting, subject
from storage.models import Appeal
from storage.outbox import URGENT, Target
from storage.targeting import TargetSpec, private_target, recipients

router = Router()
SEND_ACTION = "appeal-send"


async def reopen(ctx: Context, found: Appeal) -> None:
    """A change to an appeal awaiting approval voids the request: what gets approved is what goes out."""
    if found.status == "awaiting":
        found.status, found.approved_by = "draft", None
        ctx.reply(
            ctx._(
                "This change cancels the request for approval: send {reference} again when it is ready.",
                reference=found.reference,
            )
        )


async def set_target(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal target REF all|region:…|group:…|language:…``, then the preview."""
    spec = parse_target(args)
    if spec is None:
        ctx.reply(ctx._("Unknown target. Type all, a region, a working group or a language."))
        return
    if await retarget(ctx, found, spec):
        await preview(ctx, found, [])


async def retarget(ctx: Context, found: Appeal, spec: TargetSpec) -> bool:
    """Who the appeal goes to (the chat's ``APPEAL target`` and the dashboard); False when already sent."""
    if found.status not in ("draft", "awaiting"):
        ctx.reply(ctx._("{reference} was already sent.", reference=found.reference))
        return False
    found.target = spec.as_json()
    await ctx.audit("appeal.target", f"appeal:{found.id}", target=str(spec))
    await reopen(ctx, found)
    return True


async def preview(ctx: Context, found: Appeal, args: list[str]) -> None:
    """Who gets the appeal in which language (and who falls back), then each language as its readers see it."""
    if await appeal_approval.preview_change(ctx, found):
        return
    texts = await repo(ctx).texts(found.id)
    if not texts:
        ctx.reply(ctx._("{reference} has no text yet.", reference=found.reference))
        return
    default = ctx.settings.default_language
    found_recipients = await recipients(ctx.store.session, target_of(found), default, texts)
    lines = reach.summary(ctx.t, found.reference, target_label(ctx.t, target_of(found)), found_recipients)
    everyone = {r.target.language for r in found_recipients}
    buttons: list[list[Button]] = []
    if found.status == "awaiting" and found.created_by != ctx.person.id:
        buttons = [[Button(ctx._("Approve and send"), APPROVE_ACTION, str(found.id))]]
    ctx.reply("\n".join(lines), buttons)
    letter = await letter_reference(ctx, found)
    # One message per language: five full texts in one message would pass the platforms' size limits.
    for language in sorted(set(everyone) | set(texts)):
        heading = ctx._("— as {language} readers see it —", language=ctx.t.language_name(language))
        ctx.reply(heading + "\n" + render(found, texts, language, default, letter=letter))


async def send(ctx: Context, found: Appeal, args: list[str], *, confirmed: bool = False) -> None:
    """``appeal send REF``: out at once, or awaiting a second member's approval under the two-person rule.

    When some targets would read a fallback language, the sender first sees how many per language and
    confirms with a button.
    """
    if found.status not in ("draft", "awaiting"):
        ctx.reply(ctx._("{reference} was already sent.", reference=found.reference))
        return
    texts = await repo(ctx).texts(found.id)
    if not texts:
        ctx.reply(ctx._("{reference} has no text yet.", reference=found.reference))
        return
    if await _nobody(ctx, found):
        return
    if not confirmed and found.status == "draft" and await _warn_fallbacks(ctx, found, texts):
        return
    if await setting(ctx.store.session, TWO_PERSON_RULE) == "on" and found.approved_by is None:
        if found.status != "awaiting":
            found.status = "awaiting"
            await ctx.audit("appeal.submit", f"appeal:{found.id}")
            await _ask_for_approval(ctx, found, texts[sorted(texts)[0]].title)
        ctx.reply(
            ctx._(
                "{reference} waits for a second secretariat member: {approve}.",
                reference=found.reference,
                approve=typed(ctx.t, "appeal", "approve", found.reference),
            )
        )
        return
    await fan_out(ctx, found)


async def _warn_fallbacks(ctx: Context, found: Appeal, texts: Collection[str]) -> bool:
    """True (and the sender asked to confirm) when some targets would read another language than theirs."""
    default = ctx.settings.default_language
    found_recipients = await recipients(ctx.store.session, target_of(found), default, texts)
    fallback = reach.fallback_total(found_recipients)
    if not fallback:
        return False
    lines = [
        ctx.ngettext(
            "Warning: {n} target of {reference} will not read it in their language:",
            "Warning: {n} targets of {reference} will not read it in their language:",
            fallback,
            reference=found.reference,
        ),
        *reach.language_lines(ctx.t, found_recipients, fallback_only=True),
        ctx._(
            "Add a translation with {translate}, or send it as it is.",
            translate=typed(ctx.t, "appeal", "translate", found.reference, ctx._("language")),
        ),
    ]
    ctx.reply("\n".join(lines), [[Button(ctx._("Send anyway"), SEND_ACTION, str(found.id))]])
    return True


async def approve(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal approve REF`` (or the Approve button): a second secretariat member lets it go out."""
    await ctx.store.session.refresh(found, with_for_update=True)  # two approvers at once: one sends
    if found.status != "awaiting" and await appeal_approval.approve_change(ctx, found):
        return
    if found.status != "awaiting":
        ctx.reply(ctx._("{reference} is not waiting for approval.", reference=found.reference))
        return
    if found.created_by == ctx.person.id:
        ctx.reply(ctx._("Another secretariat member must approve what you wrote."))
        return
    if await _nobody(ctx, found):
        return
    found.approved_by = ctx.person.id
    await ctx.audit("appeal.approve", f"appeal:{found.id}")
    count = await fan_out(ctx, found)
    author = await private_target(ctx.store.session, found.created_by or 0, ctx.settings.default_language)
    if author is not None:
        await ctx.fan_out(
            f"{subject(found.id)}:approved",
            author,
            translator(author.language).ngettext(
                "{reference} was approved and is on its way to {n} target.",
                "{reference} was approved and is on its way to {n} targets.",
                count,
                reference=found.reference,
            ),
            priority=URGENT,
        )


async def _nobody(ctx: Context, found: Appeal) -> bool:
    """True (and the secretariat told) when the target matches no active channel or subscriber."""
    texts = await repo(ctx).texts(found.id)
    if await recipients(ctx.store.session, target_of(found), ctx.settings.default_language, texts):
        return False
    ctx.reply(
        ctx._(
            "Nobody matches the target {target}: {reference} was not sent.",
            target=target_label(ctx.t, target_of(found)),
            reference=found.reference,
        )
    )
    return True


async def fan_out(ctx: Context, found: Appeal) -> int:
    """Queue one copy per recipient (its language, its timezone, an "I acted" button); returns how many."""
    texts = await repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    letter = await letter_reference(ctx, found)
    found_recipients = await recipients(ctx.store.session, target_of(found), default, texts)
    copies = [
        Message(
            recipient.target,
            render(
                found,
                texts,
                recipient.target.language,
                default,
                timezone=recipient.target.timezone,
                letter=letter,
            ),
            acted_button(found, recipient.target.language),
        )
        for recipient in found_recipients
    ]
    await ctx.outbox.send_many(
        subject(found.id), copies, priority=URGENT, revision=revisions.of_version(found.revision)
    )
    found.status = "sent"
    fallback = sum(r.fallback for r in found_recipients)
    await ctx.audit("appeal.send", f"appeal:{found.id}", targets=len(found_recipients), fallback=fallback)
    # The status message goes through the outbox too: the worker edits it live as copies are delivered.
    # The dashboard is no chat to post it to: its delivery page is the live status there.
    if ctx.chat.platform != WEB_PLATFORM:
        here = Target(ctx.chat.platform, ctx.chat.chat_id, ctx.locale, ctx.chat.workspace, ctx.chat.kind)
        await ctx.fan_out(
            f"{subject(found.id)}:status",
            here,
            await status_text(ctx.store.session, found, ctx.t),
            refresh_button(found, ctx.locale),
        )
    ctx.reply(
        ctx.ngettext(
            "{reference} is on its way to {n} target.",
            "{reference} is on its way to {n} targets.",
            len(found_recipients),
            reference=found.reference,
        ),
        [[Button(ctx._("Delivery status"), STATUS_ACTION, str(found.id))]],
    )
    return len(found_recipients)


async def _ask_for_approval(ctx: Context, found: Appeal, title: str) -> None:
    """Tell the other secretariat members (or the triage channel) that an appeal waits for them."""
    name = ctx.person.display_name or f"#{ctx.person.id}"
    await tell_secretariat(
        ctx,
        f"{subject(found.id)}:approval",
        lambda t: t.gettext(
            "{author} asks a second secretariat member to approve the urgent appeal {reference} ({title}). "
            "Preview it, then approve it to send it.",
            author=name,
            reference=found.reference,
            title=title,
        ),
        lambda t: [
            [
                Button(t.gettext("Preview"), PREVIEW_ACTION, str(found.id)),
                Button(t.gettext("Approve and send"), APPROVE_ACTION, str(found.id)),
            ]
        ],
    )


@router.action(PREVIEW_ACTION, roles=SECRETARIAT)
async def preview_button(ctx: Context, event: Event) -> None:
    """The Preview button (on a draft or an approval request)."""
    found = await from_button(ctx)
    if found is not None:
        await preview(ctx, found, [])


@router.action(APPROVE_ACTION, roles=SECRETARIAT)
async def approve_button(ctx: Context, event: Event) -> None:
    """The Approve button of an approval request."""
    found = await from_button(ctx)
    if found is not None:
        await approve(ctx, found, [])


@router.action(SEND_ACTION, roles=SECRETARIAT)
async def send_button(ctx: Context, event: Event) -> None:
    """Send anyway, after the warning about fallback languages."""
    found = await from_button(ctx)
    if found is not None:
        await ctx.store.session.refresh(found, with_for_update=True)
        await send(ctx, found, [], confirmed=True)
