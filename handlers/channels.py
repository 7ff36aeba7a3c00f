"""Registering chats as member channels or as the secretariat's triage channel; listing and deactivating them.

Registration is typed IN the group or channel (the bot then knows its platform, workspace, id and title):
``channel member es americas corporate-accountability``, ``channel triage``, ``channel off``.
"""

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
    words = ctx.answer.lower().split()
    if ctx.chat.is_private:
        if words[:1] == ["off"] and len(words) == 2:
            await _off_by_number(ctx, words[1].lstrip("#"))
            return
        ctx.reply(ctx._("Type this in the group or channel you want to register."))
        return
    row = await ctx.store.channels.get_or_create(
        ctx.chat.platform, ctx.chat.workspace, ctx.chat.chat_id, ctx.chat.title
    )
    if ctx.chat.title:
        row.title = ctx.chat.title  # groups get renamed; the list should say what people see
    if words[:1] == ["triage"] and (len(words) == 1 or (len(words) == 2 and words[1] in LANGUAGES)):
        row.kind, row.active = ChannelKind.TRIAGE, True
        row.language = words[1] if len(words) == 2 else row.language
    elif words[:1] == ["off"] and len(words) == 1:
        row.active = False
    elif words[:1] == ["member"]:
        if not await _member(ctx, row, words[1:]):
            return
    else:
        lines = [_describe(ctx, row)] if row.kind is not None else []
        lines.append(
            ctx._(
                "Usage: CHANNEL member language region [working groups], CHANNEL triage, or CHANNEL off. "
                "Languages: {languages}. Regions: {regions}.",
                languages=", ".join(LANGUAGES),
                regions=", ".join(REGIONS),
            )
        )
        ctx.reply("\n".join(lines))
        return
    await ctx.audit(
        "channel.register",
        f"channel:{row.id}",
        kind=row.kind.value if row.kind else None,
        language=row.language,
        region=row.region,
        groups=list(row.working_groups or []),
        active=row.active,
    )
    ctx.reply(_describe(ctx, row))


async def _member(ctx: Context, row: Channel, words: list[str]) -> bool:
    """``member <language> [region] [working groups…]``, in any order after the language word."""
    languages = [w for w in words if w in LANGUAGES]
    regions = [w for w in words if w in REGIONS]
    groups = [w for w in words if w in WORKING_GROUPS]
    unknown = [w for w in words if w not in LANGUAGES and w not in REGIONS and w not in WORKING_GROUPS]
    if unknown:
        ctx.reply(
            ctx._(
                "Unknown language, region or working group: {words}. Languages: {languages}. Regions: {regions}. "
                "Working groups: {groups}.",
                words=", ".join(unknown),
                languages=", ".join(LANGUAGES),
                regions=", ".join(REGIONS),
                groups=", ".join(WORKING_GROUPS),
            )
        )
        return False
    if len(languages) != 1 or len(regions) > 1:
        ctx.reply(
            ctx._(
                "A member channel has one language and at most one region, e.g. CHANNEL member es americas "
                "corporate-accountability."
            )
        )
        return False
    row.kind, row.language, row.active = ChannelKind.MEMBER, languages[0], True
    row.region = regions[0] if regions else None
    row.working_groups = list(dict.fromkeys(groups))
    return True


async def _off_by_number(ctx: Context, number: str) -> None:
    """``channel off N`` from a private chat: for a group the bot can no longer be reached in."""
    row = await ctx.store.session.get(Channel, int(number)) if number.isdigit() else None
    if row is None or row.kind is None:
        ctx.reply(ctx._("No registered channel has the number {number}.", number=number or "—"))
        return
    row.active = False
    await ctx.audit("channel.register", f"channel:{row.id}", kind=row.kind.value, active=False)
    ctx.reply(ctx._("#{id} {title} will no longer receive anything from the bot.", id=row.id,
                    title=row.title or row.chat_id))  # fmt: skip


def _describe(ctx: Context, row: Channel) -> str:
    if not row.active:
        return ctx._("This chat will no longer receive anything from the bot.")
    if row.kind == ChannelKind.TRIAGE:
        return ctx._("This chat is now the secretariat's triage channel.")
    groups = "".join(f", {g}" for g in row.working_groups or [])
    if row.region is None:
        return ctx._(
            "This chat is now a member channel ({language}{groups}).",
            language=row.language or "",
            groups=groups,
        )
    return ctx._(
        "This chat is now a member channel ({language}, {region}{groups}).",
        language=row.language or "",
        region=row.region,
        groups=groups,
    )


def _state(ctx: Context, row: Channel) -> str:
    if not row.active:
        return ctx._("inactive")
    if row.kind == ChannelKind.TRIAGE:
        return ctx._("triage channel")
    details = [row.language or "", *([row.region] if row.region else []), *(row.working_groups or [])]
    return ctx._("member channel: {details}", details=", ".join(details))


@router.command("channels", roles=SECRETARIAT, summary=N_("list the registered channels"), private_only=True)
async def channels(ctx: Context, event: Event) -> None:
    """Every registered chat with its number, role and whether it is active."""
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
        lines.append(
            ctx._(
                "#{id} {title} ({platform}) — {state}",
                id=row.id,
                title=row.title or row.chat_id,
                platform=row.platform,
                state=_state(ctx, row),
            )
        )
    if rows:
        lines.append(ctx._("CHANNEL off N stops sending to channel N."))
    ctx.reply("\n".join(lines))
