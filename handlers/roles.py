"""Granting and revoking roles.

Under the two-person rule (``settings two-person on``, the same switch as appeals') granting the
secretariat role needs a second secretariat member: the request waits, the others get an Approve button,
and neither the requester nor the person concerned may approve it. Revoking one's own role asks first.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import ActionEvent, Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from handlers import people, role_ops
from handlers.labels import parse_role, role_label
from handlers.role_ops import APPROVE_ACTION
from storage.models import Person

router = Router().include(people.router)
revoke_self = router.flow("revoke-self", roles=SECRETARIAT)


async def _target(ctx: Context, word: str) -> Person | None:
    number = word.lstrip("#")
    person = await ctx.store.persons.get(int(number)) if number.isdigit() else None
    if person is None or person.erased_at is not None:
        ctx.reply(ctx._("No person has that number. Type PEOPLE to see the list."))
        return None
    return person


@router.command("grant", roles=SECRETARIAT, summary=N_("give a person a role: GRANT number role"))
async def grant(ctx: Context, event: Event) -> None:
    """``grant N role``: set person N's role (the secretariat role may need a second member's approval)."""
    parts = ctx.answer.split()
    if len(parts) != 2:
        ctx.reply(ctx._("Usage: GRANT number role (secretariat, member or defender)."))
        return
    role = parse_role(parts[1])
    if role is None:
        ctx.reply(ctx._("Unknown role. Use secretariat, member or defender."))
        return
    person = await _target(ctx, parts[0])
    if person is None:
        return
    await role_ops.grant(ctx, person, role)


@router.action(APPROVE_ACTION, roles=SECRETARIAT)
async def approve(ctx: Context, event: Event) -> None:
    """A second secretariat member approves a pending grant of the secretariat role."""
    if not (ctx.answer.isdigit() and await role_ops.approve(ctx, int(ctx.answer))):
        ctx.notice(ctx._("This button has expired."))
        ctx.reply(ctx._(role_ops.NO_REQUEST))


@router.command("revoke", roles=SECRETARIAT, summary=N_("take a person's secretariat or member role away"))
async def revoke(ctx: Context, event: Event) -> None:
    """``revoke N``: person N goes back to the defender role (the least privileged); oneself after confirming."""
    person = await _target(ctx, ctx.answer.strip())
    if person is None:
        return
    if person.id != ctx.person.id:
        await role_ops.revoke(ctx, person)
    elif not await role_ops.last_secretariat_refused(ctx, person):
        await ctx.start_flow("revoke-self", "confirm")
        ctx.reply(
            ctx._("You are about to give up your own role ({role}). You will lose access to the secretariat's commands.",
                  role=role_label(ctx.t, person.role)),
            [[ctx.flow_button(ctx._("Give up my role"), "yes"), ctx.flow_button(ctx._("Keep my role"), "no")]],
        )  # fmt: skip


@revoke_self.step("confirm")
async def revoke_self_confirm(ctx: Context, event: Event) -> None:
    """Only the button gives one's own role up."""
    if not isinstance(event, ActionEvent):
        ctx.reply(ctx._("Please use the buttons above."))
        return
    await ctx.end_flow()
    if ctx.answer != "yes":
        ctx.edit(ctx._("Nothing was changed."))
        return
    await role_ops.revoke(ctx, ctx.person)
