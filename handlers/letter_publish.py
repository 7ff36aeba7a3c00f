"""Preview and publication of a collective letter: refused while the addressee or the text is missing,
confirmed with a button after the preview, and under the two-person rule approved by a second
secretariat member (the appeals' rule and setting) before any copy goes out."""

from __future__ import annotations

from bot.core.commands import FIELD, localised_word
from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import translator
from bot.core.router import SECRETARIAT, Router, typed
from handlers import reach
from handlers.appeal_common import tell_secretariat
from handlers.labels import target_label
from handlers.letter_common import repo
from handlers.letter_render import body_for, render, sign_button
from storage.appeals import TWO_PERSON_RULE, setting
from storage.models import Letter
from storage.outbox import NORMAL, URGENT
from storage.targeting import private_target, recipients

router = Router()
PREVIEW_ACTION, PUBLISH_ACTION, APPROVE_ACTION = "letter-preview", "letter-publish", "letter-approve"


def _edit(ctx: Context, found: Letter, field: str) -> str:
    """``LETTER edit REF addressee`` as the reader types it (``CARTA editar REF destinatario``)."""
    return typed(ctx.t, "letter", "edit", found.reference, localised_word(field, ctx.locale, FIELD))


async def _missing(ctx: Context, found: Letter) -> bool:
    """True (and said, naming what is missing) when the letter has no addressee or no text."""
    texts = await repo(ctx).texts(found.id)
    no_addressee, no_text = not found.addressee.strip(), not any(t.strip() for t in texts.values())
    if not (no_addressee or no_text):
        return False
    if no_addressee and no_text:
        ctx.reply(ctx._("{reference} cannot be published yet: it has no addressee and no text. Add them with "
                        "{addressee} … and {text} ….", reference=found.reference,
                        addressee=_edit(ctx, found, "addressee"), text=_edit(ctx, found, "text")))  # fmt: skip
    elif no_addressee:
        ctx.reply(ctx._("{reference} cannot be published yet: it has no addressee. Add it with {addressee} ….",
                        reference=found.reference, addressee=_edit(ctx, found, "addressee")))  # fmt: skip
    else:
        ctx.reply(ctx._("{reference} cannot be published yet: it has no text. Add it with {text} ….",
                        reference=found.reference, text=_edit(ctx, found, "text")))  # fmt: skip
    return True


async def preview(
    ctx: Context, found: Letter, args: list[str], buttons: list[list[Button]] | None = None
) -> None:
    """Who gets the letter in which language (and who falls back), then each language as its readers see it."""
    texts = await repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    spec = await repo(ctx).target(found.id)
    found_recipients = await recipients(ctx.store.session, spec, default, texts)
    lines = reach.summary(ctx.t, found.reference, target_label(ctx.t, spec), found_recipients)
    if buttons is None and found.status == "awaiting" and found.created_by != ctx.person.id:
        buttons = [[Button(ctx._("Approve and publish"), APPROVE_ACTION, str(found.id))]]
    ctx.reply("\n".join(lines), buttons or ())
    # One message per language: five full letters in one message would pass the platforms' size limits.
    for language in sorted({r.target.language for r in found_recipients} | set(texts)):
        heading = ctx._("— as {language} readers see it —", language=ctx.t.language_name(language))
        ctx.reply(heading + "\n" + render(found, body_for(texts, language, default) or "—", language, 0))


async def publish(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter publish REF``: checks what is missing, then the preview and a Publish button to confirm."""
    if found.status not in ("draft", "awaiting"):
        ctx.reply(ctx._("{reference} was already published.", reference=found.reference))
        return
    if await _missing(ctx, found):
        return
    if found.status == "awaiting":
        _waits(ctx, found)
        return
    await preview(ctx, found, [], [])
    ctx.reply(
        ctx._("Publish {reference} as shown above?", reference=found.reference),
        [[Button(ctx._("Publish"), PUBLISH_ACTION, str(found.id))]],
    )


def _waits(ctx: Context, found: Letter) -> None:
    ctx.reply(
        ctx._(
            "{reference} waits for a second secretariat member: {approve}.",
            reference=found.reference,
            approve=typed(ctx.t, "letter", "approve", found.reference),
        )
    )


async def _from_button(ctx: Context) -> Letter | None:
    found = await ctx.store.session.get(Letter, int(ctx.answer), with_for_update=True) if ctx.answer.isdigit() else None  # fmt: skip
    if found is None:
        ctx.notice(ctx._("This button has expired."))
    return found


@router.action(PUBLISH_ACTION, roles=SECRETARIAT)
async def confirmed(ctx: Context, event: Event) -> None:
    """Publish pressed: out at once, or awaiting a second member's approval under the two-person rule."""
    found = await _from_button(ctx)
    if found is None:
        return
    if found.status == "awaiting":
        _waits(ctx, found)
        return
    if found.status != "draft":
        ctx.reply(ctx._("{reference} was already published.", reference=found.reference))
        return
    if await _missing(ctx, found):
        return
    if await setting(ctx.store.session, TWO_PERSON_RULE) == "on":
        found.status = "awaiting"
        await ctx.audit("letter.submit", f"letter:{found.id}")
        await _ask_for_approval(ctx, found)
        _waits(ctx, found)
        return
    await _fan_out(ctx, found)


async def approve(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter approve REF`` (or the button): a second secretariat member lets the letter go out."""
    await ctx.store.session.refresh(found, with_for_update=True)  # two approvers at once: one publishes
    if found.status != "awaiting":
        ctx.reply(ctx._("{reference} is not waiting for approval.", reference=found.reference))
        return
    if found.created_by == ctx.person.id:
        ctx.reply(ctx._("Another secretariat member must approve what you wrote."))
        return
    await ctx.audit("letter.approve", f"letter:{found.id}")
    count = await _fan_out(ctx, found)
    author = await private_target(ctx.store.session, found.created_by or 0, ctx.settings.default_language)
    if author is not None:
        await ctx.fan_out(
            f"letter:{found.id}:approved",
            author,
            translator(author.language).ngettext(
                "{reference} was approved and goes to {n} target.",
                "{reference} was approved and goes to {n} targets.",
                count,
                reference=found.reference,
            ),
            priority=URGENT,
        )


async def _fan_out(ctx: Context, found: Letter) -> int:
    """Queue one copy per target, in its language, with the Sign button; returns how many."""
    texts = await repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    spec = await repo(ctx).target(found.id)
    found_recipients = await recipients(ctx.store.session, spec, default, texts)
    for recipient in found_recipients:
        target = recipient.target
        await ctx.fan_out(
            f"letter:{found.id}",
            target,
            render(found, body_for(texts, target.language, default), target.language, 0, target.timezone),
            sign_button(found, target.language),
            priority=NORMAL,
        )
    found.status = "published"
    await ctx.audit("letter.publish", f"letter:{found.id}", targets=len(found_recipients))
    ctx.reply(
        ctx.ngettext(
            "{reference} goes to {n} target.",
            "{reference} goes to {n} targets.",
            len(found_recipients),
            reference=found.reference,
        )
    )
    return len(found_recipients)


async def _ask_for_approval(ctx: Context, found: Letter) -> None:
    """Tell the other secretariat members (or the triage channel) that a letter waits for them."""
    name = ctx.person.display_name or f"#{ctx.person.id}"
    await tell_secretariat(
        ctx,
        f"letter:{found.id}:approval",
        lambda t: t.gettext(
            "{author} asks a second secretariat member to approve the collective letter {reference} "
            "(to {addressee}). Preview it, then approve it to publish it.",
            author=name,
            reference=found.reference,
            addressee=found.addressee,
        ),
        lambda t: [
            [
                Button(t.gettext("Preview"), PREVIEW_ACTION, str(found.id)),
                Button(t.gettext("Approve and publish"), APPROVE_ACTION, str(found.id)),
            ]
        ],
    )


@router.action(PREVIEW_ACTION, roles=SECRETARIAT)
async def preview_button(ctx: Context, event: Event) -> None:
    """The Preview button of an approval request."""
    found = await _from_button(ctx)
    if found is not None:
        await preview(ctx, found, [])


@router.action(APPROVE_ACTION, roles=SECRETARIAT)
async def approve_button(ctx: Context, event: Event) -> None:
    """The Approve button of an approval request."""
    found = await _from_button(ctx)
    if found is not None:
        await approve(ctx, found, [])
