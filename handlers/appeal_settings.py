"""Network settings the secretariat changes from chat: the two-person rule for appeals, and whether report
messages are deleted from the chat once stored."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Event
from handlers.appeal_common import tell_secretariat
from storage.appeals import TWO_PERSON_RULE, set_setting, setting

# setting word -> (stored key, value when never set)
KNOWN = {"two-person": (TWO_PERSON_RULE, "off"), "delete-reports": ("delete_reports", "on")}


async def settings_command(ctx: Context, event: Event) -> None:
    """``settings two-person on|off``, ``settings delete-reports on|off``; without arguments, the values."""
    words = ctx.answer.lower().split()
    if len(words) != 2 or words[0] not in KNOWN or words[1] not in ("on", "off"):
        two_person = await setting(ctx.store.session, TWO_PERSON_RULE, "off")
        deleting = await setting(ctx.store.session, "delete_reports", "on")
        ctx.reply(
            ctx._(
                "Usage: SETTINGS two-person on|off, SETTINGS delete-reports on|off (now: {two_person}, {deleting}).",
                two_person=two_person,
                deleting=deleting,
            )
        )
        return
    key, default = KNOWN[words[0]]
    previous = await setting(ctx.store.session, key, default)
    await set_setting(ctx.store.session, key, words[1])
    await ctx.audit("settings.change", f"settings:{key}", value=words[1], previous=previous)
    ctx.reply(ctx._("{setting}: {value}.", setting=words[0], value=words[1]))
    if key == TWO_PERSON_RULE and previous != words[1]:
        # One member can switch the safeguard off alone; the others at least learn of it at once.
        name = ctx.person.display_name or f"#{ctx.person.id}"
        await tell_secretariat(
            ctx,
            "settings:two-person",
            lambda t: t.gettext(
                "{author} turned the two-person rule for urgent appeals {value}.", author=name, value=words[1]
            ),
        )
