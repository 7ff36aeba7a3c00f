"""Registering chats as member channels or as the secretariat's triage channel; listing and deactivating them.

Registration is typed IN the group or channel (the bot then knows its platform, workspace, id and title):
``channel member es americas corporate-accountability``, ``canal miembro español Américas``, ``channel triage``,
``channel off``; languages, regions and working groups are read in any of the five languages.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.config import LANGUAGES
from bot.core.context import Context
from bot.core.events import ChatRef, Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router, UsageError, typed
from handlers.labels import (
    group_label,
    join,
    parse_group,
    parse_language,
    parse_region,
    platform_label,
    region_label,
)
from storage.models import Channel, ChannelKind
from storage.repositories import Store
from storage.targeting import REGIONS, WORKING_GROUPS

router = Router()


@router.on_membership
async def bot_membership(store: Store, chat: ChatRef, member: bool) -> None:
    """Remember whether the bot is in a group or channel (a channel it left gets no appeals)."""
    channel = await store.channels.get_or_create(chat.platform, chat.workspace, chat.chat_id, chat.title)
    channel.bot_member = member
    if chat.title:
        channel.title = chat.title


channel = router.group(
    "channel",
    roles=SECRETARIAT,
    summary=N_("in a group: {subcommands}"),
    listed=("member", "triage", "off"),
)


async def _registered(ctx: Context) -> Channel | None:
    """The chat this is typed in, as a channel row (None, and said, in a private chat)."""
    if ctx.chat.is_private:
        ctx.reply(ctx._("Type this in the group or channel you want to register."))
        return None
    row = await ctx.store.channels.get_or_create(
        ctx.chat.platform, ctx.chat.workspace, ctx.chat.chat_id, ctx.chat.title
    )
    if ctx.chat.title:
        row.title = ctx.chat.title  # groups get renamed; the list should say what people see
    return row


async def _registered_now(ctx: Context, row: Channel) -> None:
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


@channel.sub("member", usage=N_("language [region] [working groups]"))
async def member(ctx: Context, args: list[str]) -> None:
    """``channel member <language> [region] [working groups…]``, names typed in any of the five languages."""
    row = await _registered(ctx)
    if row is not None and await _member(ctx, row, args):
        await _registered_now(ctx, row)


@channel.sub("triage", usage=N_("[language]"))
async def triage(ctx: Context, args: list[str]) -> None:
    """``channel triage [language]``: the secretariat's triage channel."""
    language = parse_language(args[0]) if len(args) == 1 else None
    if len(args) > 1 or (args and language is None):
        raise UsageError
    row = await _registered(ctx)
    if row is None:
        return
    row.kind, row.active = ChannelKind.TRIAGE, True
    row.language = language or row.language
    await _registered_now(ctx, row)


@channel.sub("off", usage=N_("[number, from a private chat]"))
async def off(ctx: Context, args: list[str]) -> None:
    """``channel off`` in the group, or ``channel off N`` from a private chat."""
    if ctx.chat.is_private and len(args) == 1:
        await _off_by_number(ctx, args[0].lstrip("#"))
        return
    if args:
        raise UsageError
    row = await _registered(ctx)
    if row is not None:
        row.active = False
        await _registered_now(ctx, row)


@channel.otherwise
async def _usage(ctx: Context, args: list[str]) -> None:
    row = None if ctx.chat.is_private else await _registered(ctx)
    lines = [_describe(ctx, row)] if row is not None and row.kind is not None else []
    lines.append(channel.usage(ctx.t))
    lines.append(_choices(ctx))
    ctx.reply("\n".join(lines))


def _choices(ctx: Context) -> str:
    return ctx._(
        "Languages: {languages}. Regions: {regions}. Working groups: {groups}.",
        languages=join(ctx.t, (ctx.t.language_name(code) for code in LANGUAGES)),
        regions=join(ctx.t, (region_label(ctx.t, key) for key in REGIONS)),
        groups=join(ctx.t, (group_label(ctx.t, key) for key in WORKING_GROUPS)),
    )


async def _member(ctx: Context, row: Channel, words: list[str]) -> bool:
    """The language, region and working groups in any order; multi-word names are read whole."""
    languages, regions, groups, unknown = _read_values(words)
    if unknown:
        ctx.reply(
            ctx._("Unknown language, region or working group: {words}.", words=" ".join(unknown))
            + "\n"
            + _choices(ctx)
        )
        return False
    if len(languages) != 1 or len(regions) > 1:
        ctx.reply(ctx._("A member channel has one language and at most one region."))
        return False
    row.kind, row.language, row.active = ChannelKind.MEMBER, languages[0], True
    row.region = regions[0] if regions else None
    row.working_groups = list(dict.fromkeys(groups))
    return True


def _read_values(words: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """Split typed words into languages, regions and working groups, trying the longest names first."""
    found: tuple[list[str], list[str], list[str]] = ([], [], [])
    unknown: list[str] = []
    start = 0
    while start < len(words):
        for end in range(len(words), start, -1):
            phrase = " ".join(words[start:end])
            keys = (parse_language(phrase), parse_region(phrase), parse_group(phrase))
            hit = next(((i, k) for i, k in enumerate(keys) if k is not None), None)
            if hit is not None:
                found[hit[0]].append(hit[1])
                start = end
                break
        else:
            unknown.append(words[start])
            start += 1
    return (*found, unknown)


async def _off_by_number(ctx: Context, number: str) -> None:
    """``channel off N`` from a private chat: for a group the bot can no longer be reached in."""
    row = await ctx.store.session.get(Channel, int(number)) if number.isdigit() else None
    if row is None or row.kind is None:
        ctx.reply(ctx._("No registered channel has the number {number}.", number=number or "—"))
        return
    await switch_off(ctx, row)


async def switch_off(ctx: Context, row: Channel) -> None:
    """Stop sending to a registered channel (audited as a registration that is no longer active).

    What ``channel off N`` does from a private chat, and the dashboard's channel list.
    """
    row.active = False
    await ctx.audit(
        "channel.register", f"channel:{row.id}", kind=row.kind.value if row.kind else None, active=False
    )
    ctx.reply(ctx._("#{id} {title} will no longer receive anything from the bot.", id=row.id,
                    title=row.title or row.chat_id))  # fmt: skip


def _describe(ctx: Context, row: Channel) -> str:
    if not row.active:
        return ctx._("This chat will no longer receive anything from the bot.")
    if row.kind == ChannelKind.TRIAGE:
        return ctx._("This chat is now the secretariat's triage channel.")
    return ctx._("This chat is now a member channel ({details}).", details=_details(ctx, row))


def _details(ctx: Context, row: Channel) -> str:
    """A member channel's language, region and working groups, named in the reader's language."""
    return join(
        ctx.t,
        [
            ctx.t.language_name(row.language),
            *([region_label(ctx.t, row.region)] if row.region else []),
            *(group_label(ctx.t, g) for g in row.working_groups or []),
        ],
    )


def _state(ctx: Context, row: Channel) -> str:
    if not row.active:
        return ctx._("inactive")
    if row.kind == ChannelKind.TRIAGE:
        return ctx._("triage channel")
    return ctx._("member channel: {details}", details=_details(ctx, row))


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
                platform=platform_label(ctx.t, row.platform),
                state=_state(ctx, row),
            )
        )
    if rows:
        lines.append(ctx._("{off} stops sending to channel N.", off=typed(ctx.t, "channel", "off", "N")))
    ctx.reply("\n".join(lines))
