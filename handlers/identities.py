"""Linking one human's platform accounts: a Telegram user and a Slack user become one person."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from storage.models import Role

router = Router()


@router.command("link", roles=SECRETARIAT, summary=N_("link two accounts of one person: LINK number number"))
async def link(ctx: Context, event: Event) -> None:
    """``link A B``: move person B's platform accounts to person A, so language, role and signatures hold on both.

    Person A keeps their settings; B's are used only where A has none. B is then erased (pseudonymous).
    """
    parts = [p.lstrip("#") for p in ctx.answer.split()]
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or parts[0] == parts[1]:
        ctx.reply(
            ctx._("Usage: LINK number number (see PEOPLE); the second person's accounts join the first.")
        )
        return
    keep = await ctx.store.persons.get(int(parts[0]))
    merge = await ctx.store.persons.get(int(parts[1]))
    if keep is None or merge is None or keep.erased_at is not None or merge.erased_at is not None:
        ctx.reply(ctx._("No person has that number. Type PEOPLE to see the list."))
        return
    moved = await ctx.store.persons.move_identities(merge.id, keep.id)
    keep.language = keep.language or merge.language
    keep.timezone = keep.timezone or merge.timezone
    keep.display_name = keep.display_name or merge.display_name
    if keep.organisation_id is None and merge.organisation_id is not None:
        keep.organisation_id = merge.organisation_id
        keep.membership_confirmed = merge.membership_confirmed
    if keep.role == Role.DEFENDER and merge.role != Role.DEFENDER:
        keep.role = merge.role  # never lower a role by linking; granting stays explicit
    await ctx.store.persons.erase(merge)
    await ctx.audit("person.link", f"person:{keep.id}", merged=merge.id, identities=moved)
    ctx.reply(
        ctx.ngettext(
            "#{keep} now has {n} more account (from #{merged}).",
            "#{keep} now has {n} more accounts (from #{merged}).",
            moved,
            keep=keep.id,
            merged=merge.id,
        )
    )
