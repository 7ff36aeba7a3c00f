"""Granting and revoking roles.

Under the two-person rule (``settings two-person on``, the same switch as appeals') granting the
secretariat role needs a second secretariat member: the request waits, the others get an Approve button,
and neither the requester nor the person concerned may approve it. Revoking one's own role asks first.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import ActionEvent, Button, Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from handlers import people
from handlers.appeal_common import tell_secretariat
from handlers.case_view import member_name
from handlers.labels import parse_role, role_label
from storage.appeals import TWO_PERSON_RULE, setting
from storage.models import Person, Role, Setting

router = Router().include(people.router)
revoke_self = router.flow("revoke-self", roles=SECRETARIAT)
APPROVE_ACTION = "role-approve"


def _request_key(person_id: int) -> str:
    """Where a pending request to make ``person_id`` secretariat is kept (its value: the requester)."""
    return f"grant-secretariat:{person_id}"


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
    if (
        role == Role.SECRETARIAT
        and person.role != role
        and await setting(ctx.store.session, TWO_PERSON_RULE) == "on"
    ):
        await _request(ctx, person)
        return
    await _change_role(ctx, person, role)


async def _request(ctx: Context, person: Person) -> None:
    """Keep the request and ask the rest of the secretariat to approve it."""
    key = _request_key(person.id)
    row = await ctx.store.session.get(Setting, key)
    if row is None:
        ctx.store.session.add(Setting(key=key, value=str(ctx.person.id)))
    else:
        row.value = str(ctx.person.id)
    await ctx.audit("role.request", f"person:{person.id}", role=Role.SECRETARIAT.value)
    author = member_name(ctx.t, ctx.person)
    await tell_secretariat(
        ctx,
        f"role:{person.id}:approval",
        lambda t: t.gettext(
            "{author} asks to give the secretariat role to #{id} {name}. A second secretariat member must approve it.",
            author=member_name(t, ctx.person),
            id=person.id,
            name=person.display_name or t.gettext("(no name)"),
        ),
        lambda t: [[Button(t.gettext("Approve"), APPROVE_ACTION, str(person.id))]],
    )
    ctx.reply(
        ctx._(
            "Giving the secretariat role to #{id} waits for a second secretariat member's approval ({author} asked).",
            id=person.id,
            author=author,
        )
    )


@router.action(APPROVE_ACTION, roles=SECRETARIAT)
async def approve(ctx: Context, event: Event) -> None:
    """A second secretariat member approves a pending grant of the secretariat role."""
    row = (
        await ctx.store.session.get(Setting, _request_key(int(ctx.answer))) if ctx.answer.isdigit() else None
    )
    person = await ctx.store.persons.get(int(ctx.answer)) if row is not None else None
    if row is None or person is None or person.erased_at is not None:
        ctx.notice(ctx._("This button has expired."))
        ctx.reply(ctx._("There is no request to approve for this person."))
        return
    if ctx.person.id in (int(row.value), person.id):
        ctx.reply(
            ctx._(
                "Another secretariat member must approve this: not the one who asked, nor the person concerned."
            )
        )
        return
    await ctx.store.session.delete(row)
    await _change_role(ctx, person, Role.SECRETARIAT, requested_by=int(row.value))


@router.command("revoke", roles=SECRETARIAT, summary=N_("take a person's secretariat or member role away"))
async def revoke(ctx: Context, event: Event) -> None:
    """``revoke N``: person N goes back to the defender role (the least privileged); oneself after confirming."""
    person = await _target(ctx, ctx.answer.strip())
    if person is None:
        return
    if person.id != ctx.person.id:
        await _change_role(ctx, person, Role.DEFENDER)
    elif not _last_secretariat_refused(ctx, person, await _secretariat_size(ctx)):
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
    await _change_role(ctx, ctx.person, Role.DEFENDER)


async def _secretariat_size(ctx: Context) -> int:
    return len(await ctx.store.persons.with_role(Role.SECRETARIAT))


def _last_secretariat_refused(ctx: Context, person: Person, secretariat: int) -> bool:
    """True (and said) when ``person`` is the last secretariat member."""
    if person.role == Role.SECRETARIAT and secretariat == 1:
        ctx.reply(ctx._("This is the last secretariat member: grant the role to someone else first."))
        return True
    return False


async def _change_role(ctx: Context, person: Person, role: Role, requested_by: int | None = None) -> None:
    if person.role == role:
        ctx.reply(ctx._("#{id} already has that role.", id=person.id))
        return
    if _last_secretariat_refused(ctx, person, await _secretariat_size(ctx)):
        return
    previous = person.role
    person.role = role
    detail = {"requested_by": requested_by} if requested_by is not None else {}
    await ctx.audit("role.change", f"person:{person.id}", old=previous.value, new=role.value, **detail)
    ctx.reply(
        ctx._(
            "#{id} is now: {role} (was: {previous}).",
            id=person.id,
            role=role_label(ctx.t, role),
            previous=role_label(ctx.t, previous),
        )
    )
