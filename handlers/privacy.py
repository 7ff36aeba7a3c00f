"""``forget``: a person erases their own data, after confirming."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import ActionEvent, Event
from bot.core.i18n import N_
from bot.core.router import Router
from storage.models import Role

router = Router()
forget_flow = router.flow("forget")


@router.command("forget", summary=N_("erase your data"), private_only=True)
async def forget(ctx: Context, event: Event) -> None:
    """Explain what erasing removes and ask for confirmation with buttons."""
    if ctx.person.role == Role.SECRETARIAT and len(await ctx.store.persons.with_role(Role.SECRETARIAT)) == 1:
        ctx.reply(ctx._("You are the last secretariat member: grant the role to someone else first."))
        return
    await ctx.start_flow("forget", "confirm")
    ctx.reply(
        ctx._(
            "This erases your name, your platform accounts, your language and your organisation from the bot. "
            "Reports you made stay with the secretariat without your name. This cannot be undone."
        ),
        [[ctx.flow_button(ctx._("Erase my data"), "yes"), ctx.flow_button(ctx._("Keep my data"), "no")]],
    )


@forget_flow.step("confirm")
async def forget_confirm(ctx: Context, event: Event) -> None:
    """Erase on "yes"; anything else keeps the data."""
    # Only the button erases: a typed "yes" in some language must not destroy data by accident.
    if not isinstance(event, ActionEvent):
        ctx.reply(ctx._("Please use the buttons above."))
        return
    if ctx.answer != "yes":
        await ctx.end_flow()
        ctx.edit(ctx._("Nothing was erased."))
        return
    person_id = ctx.person.id
    removed = await ctx.store.persons.erase(ctx.person)
    ctx.conversation = None  # erase() removed it with the rest
    await ctx.audit("person.erase", f"person:{person_id}", identities=removed)
    ctx.edit(ctx._("Your data has been erased. If you write again, I will not know who you are."))
