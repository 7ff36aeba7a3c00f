"""What the appeal handlers share: where they may run, loading an appeal, its target and linked letter."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select

from bot.core import revisions
from bot.core.context import Context
from bot.core.events import Button
from bot.core.i18n import Translator, translator
from storage.appeals import TWO_PERSON_RULE, AppealRepository, setting
from storage.models import Appeal, Channel, ChannelKind, Identity, Letter
from storage.outbox import URGENT
from storage.targeting import TargetSpec, secretariat_targets

SENT_STATES = ("sent", "updated")  # copies are out and may be edited
FINAL_STATES = ("retracted", "closed")  # nothing more goes out
LINK_ACTION = "appeal-link"
PREVIEW_ACTION, APPROVE_ACTION = "appeal-preview", "appeal-approve"


def repo(ctx: Context) -> AppealRepository:
    """The appeal repository on the event's session."""
    return AppealRepository(ctx.store.session)


def target_of(found: Appeal) -> TargetSpec:
    """The appeal's target (everyone until the secretariat narrows it)."""
    return TargetSpec.stored(found.target)


async def letter_reference(ctx: Context, found: Appeal) -> str | None:
    """The reference of the collective letter linked to the appeal, shown to readers so they can sign."""
    if found.letter_id is None:
        return None
    letter = await ctx.store.session.get(Letter, found.letter_id)
    return letter.reference if letter is not None else None


async def allowed_here(ctx: Context) -> bool:
    """Appeal commands run in a private chat or the triage channel, never in a member channel.

    A draft typed into a member group would reach its readers before anyone approved it.
    """
    if ctx.chat.is_private:
        return True
    triage = (
        await ctx.store.session.execute(
            select(Channel.id).where(
                Channel.platform == ctx.chat.platform,
                Channel.workspace == ctx.chat.workspace,
                Channel.chat_id == ctx.chat.chat_id,
                Channel.kind == ChannelKind.TRIAGE,
                Channel.active.is_(True),
            )
        )
    ).first()
    if triage is None:
        ctx.reply(ctx._("Appeals are managed only in a private chat or the triage channel."))
    return triage is not None


async def from_button(ctx: Context) -> Appeal | None:
    """The appeal a button's payload names; tells the presser the button expired when there is none."""
    found = await ctx.store.session.get(Appeal, int(ctx.answer)) if ctx.answer.isdigit() else None
    if found is None:
        ctx.notice(ctx._("This button has expired."))
    return found


async def tell_secretariat(
    ctx: Context,
    subject: str,
    text_for: Callable[[Translator], str],
    buttons_for: Callable[[Translator], Sequence[Sequence[Button]]] | None = None,
) -> int:
    """Alert the rest of the secretariat (the triage channel, else each member privately), not the actor.

    Returns:
        How many chats were alerted.
    """
    own_chats = set(
        (
            await ctx.store.session.execute(
                select(Identity.platform, Identity.workspace, Identity.private_chat_id).where(
                    Identity.person_id == ctx.person.id
                )
            )
        ).all()
    )
    revision = await revisions.fresh(ctx.store.session, subject)  # each alert is new
    told = 0
    for target in await secretariat_targets(ctx.store.session, ctx.settings.default_language):
        if (target.platform, target.workspace, target.chat_id) in own_chats:
            continue
        t = translator(target.language)
        told += await ctx.fan_out(
            subject,
            target,
            text_for(t),
            buttons_for(t) if buttons_for else (),
            priority=URGENT,
            revision=revision,
        )
    return told


async def two_person_rule(ctx: Context) -> bool:
    """Whether a second secretariat member must approve what goes out to members."""
    return await setting(ctx.store.session, TWO_PERSON_RULE) == "on"
