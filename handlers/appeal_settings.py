"""Network settings the secretariat changes from chat: the two-person rule for appeals, and whether report
messages are deleted from the chat once stored (``SETTINGS two-person on``, ``AJUSTES dos-personas sí``)."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router, UsageError
from handlers.appeal_common import tell_secretariat
from handlers.labels import parse_switch, switch_label
from handlers.reports import DELETE_REPORTS
from storage.appeals import TWO_PERSON_RULE, set_setting, setting

router = Router()
settings = router.group(
    "settings",
    roles=SECRETARIAT,
    summary=N_("network settings: {subcommands}, each on or off"),
)


@settings.otherwise
async def show(ctx: Context, args: list[str]) -> None:
    """Without a known setting: the values now, then the usage lines."""
    two_person = await setting(ctx.store.session, TWO_PERSON_RULE, "off")
    deleting = await setting(ctx.store.session, DELETE_REPORTS, "on")
    now = ctx._(
        "Two-person rule: {two_person}. Deleting report messages: {deleting}.",
        two_person=switch_label(ctx.t, two_person),
        deleting=switch_label(ctx.t, deleting),
    )
    ctx.reply(now + "\n" + settings.usage(ctx.t))


@settings.sub("two-person", usage=N_("on or off"))
async def two_person(ctx: Context, args: list[str]) -> None:
    """``settings two-person on|off``: the two-person rule for urgent appeals (the others are told)."""
    value, previous = await _change(ctx, TWO_PERSON_RULE, "off", args)
    if value == "on":
        ctx.reply(ctx._("The two-person rule for urgent appeals is on."))
    else:
        ctx.reply(ctx._("The two-person rule for urgent appeals is off."))
    if previous == value:
        return
    # One member can switch the safeguard off alone; the others at least learn of it at once.
    name = ctx.person.display_name or f"#{ctx.person.id}"
    await tell_secretariat(
        ctx,
        "settings:two-person",
        lambda t: (
            t.gettext("{author} turned the two-person rule for urgent appeals on.", author=name)
            if value == "on"
            else t.gettext("{author} turned the two-person rule for urgent appeals off.", author=name)
        ),
    )


@settings.sub("delete-reports", usage=N_("on or off"))
async def delete_reports(ctx: Context, args: list[str]) -> None:
    """``settings delete-reports on|off``: whether report messages are deleted from the chat once stored."""
    value, _previous = await _change(ctx, DELETE_REPORTS, "on", args)
    if value == "on":
        ctx.reply(ctx._("Report messages will be deleted from the chat once stored."))
    else:
        ctx.reply(ctx._("Report messages will stay in the chat once stored."))


async def _change(ctx: Context, key: str, default: str, args: list[str]) -> tuple[str, str]:
    """Store the value typed (on/off in any of the five languages); returns it and the previous one."""
    value = parse_switch(args[0]) if len(args) == 1 else None
    if value is None:
        raise UsageError
    previous = await setting(ctx.store.session, key, default)
    await set_setting(ctx.store.session, key, value)
    await ctx.audit("settings.change", f"settings:{key}", value=value, previous=previous)
    return value, previous
