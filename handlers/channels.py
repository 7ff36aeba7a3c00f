"""Registering chats as member channels or as the secretariat's triage channel."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import LANGUAGES
from bot.core.context import Context
from bot.core.events import Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from storage.models import Channel, ChannelKind
from storage.targeting import REGIONS, WORKING_GROUPS

router = Router()


@router.command(
    "channel",
    roles=SECRETARIAT,
    summary=N_("in a group: CHANNEL member language region groups, CHANNEL triage or CHANNEL off"),
)
async def channel(ctx: Context, event: Event) -> None:
    """Register the chat this is typed in (a group or channel) for appeals, or as the triage channel."""
    if ctx.chat.is_private:
        ctx.reply(ctx._("Type this in the group or channel you want to register."))
        return
    words = ctx.answer.lower().split()
    row = await ctx.store.channels.get_or_create(
        ctx.chat.platform, ctx.chat.workspace, ctx.chat.chat_id, ctx.chat.title
    )
    if words[:1] == ["triage"]:
        row.kind, row.active = ChannelKind.TRIAGE, True
    elif words[:1] == ["off"]:
        row.active = False
    elif words[:1] == ["member"] and len(words) >= 3 and words[1] in LANGUAGES and words[2] in REGIONS:
        groups = [w for w in words[3:] if w in WORKING_GROUPS]
        if len(groups) != len(words[3:]):
            ctx.reply(ctx._("Unknown working group. Use: {groups}.", groups=", ".join(WORKING_GROUPS)))
            return
        row.kind, row.language, row.region, row.working_groups, row.active = (
            ChannelKind.MEMBER, words[1], words[2], groups, True
        )  # fmt: skip
    else:
        ctx.reply(
            ctx._(
                "Usage: CHANNEL member language region [working groups], CHANNEL triage, or CHANNEL off. "
                "Languages: {languages}. Regions: {regions}.",
                languages=", ".join(LANGUAGES),
                regions=", ".join(REGIONS),
            )
        )
        return
    await ctx.audit(
        "channel.register", f"channel:{row.id}", kind=row.kind.value if row.kind else None, active=row.active
    )
    ctx.reply(_describe(ctx, row))


def _describe(ctx: Context, row: Channel) -> str:
    if not row.active:
        return ctx._("This chat will no longer receive anything from the bot.")
    if row.kind == ChannelKind.TRIAGE:
        return ctx._("This chat is now the secretariat's triage channel.")
    return ctx._(
        "This chat is now a member channel ({language}, {region}{groups}).",
        language=row.language or "",
        region=row.region or "",
        groups="".join(f", {g}" for g in row.working_groups or []),
    )


@router.command("channels", roles=SECRETARIAT, summary=N_("list the registered channels"))
async def channels(ctx: Context, event: Event) -> None:
    """Every registered chat with its role and whether it is active."""
    rows = (
        (
            await ctx.store.session.execute(
                select(Channel).where(Channel.kind.is_not(None)).order_by(Channel.id)
            )
        )
        .scalars()
        .all()
    )
    lines = [ctx.ngettext("{n} registered channel:", "{n} registered channels:", len(rows))]
    for row in rows:
        state = _describe(ctx, row) if row.active else ctx._("inactive")
        lines.append(
            ctx._(
                "#{id} {title} ({platform}) — {state}",
                id=row.id,
                title=row.title or row.chat_id,
                platform=row.platform,
                state=state,
            )
        )
    ctx.reply("\n".join(lines))
