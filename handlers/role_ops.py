"""Granting and revoking roles: the operations the chat's ``grant``/``revoke`` and the dashboard both call.

The rules live here once: the secretariat role may need a second member's approval (the two-person rule,
``settings two-person on``), neither the requester nor the person concerned approves it, and the last
secretariat member keeps the role. Every change is audited; answers go to ``ctx.reply`` (a chat reply or
a dashboard notice), requests for approval to the rest of the secretariat through the outbox.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Button
from bot.core.i18n import N_
from handlers.appeal_common import tell_secretariat
from handlers.case_view import member_name
from handlers.labels import role_label
from storage.appeals import TWO_PERSON_RULE, setting
from storage.models import Person, Role, Setting

APPROVE_ACTION = "role-approve"
NO_REQUEST = N_("There is no request to approve for this person.")


def request_key(person_id: int) -> str:
    """Where a pending request to make ``person_id`` secretariat is kept (its value: the requester)."""
    return f"grant-secretariat:{person_id}"


async def pending_request(ctx: Context, person_id: int) -> int | None:
    """Who asked to make ``person_id`` secretariat, when that request waits for approval."""
    row = await ctx.store.session.get(Setting, request_key(person_id))
    return int(row.value) if row is not None and row.value.isdigit() else None


async def grant(ctx: Context, person: Person, role: Role) -> None:
    """Give ``person`` ``role``; the secretariat role waits for a second member under the two-person rule."""
    if (
        role == Role.SECRETARIAT
        and person.role != role
        and await setting(ctx.store.session, TWO_PERSON_RULE) == "on"
    ):
        await _request(ctx, person)
        return
    await change_role(ctx, person, role)


async def revoke(ctx: Context, person: Person) -> None:
    """Send ``person`` back to the defender role (the least privileged), unless they are the last secretariat.

    Giving up one's own role is confirmed by the caller first (a button in chat, a second form on the web).
    """
    await change_role(ctx, person, Role.DEFENDER)


async def _request(ctx: Context, person: Person) -> None:
    """Keep the request and ask the rest of the secretariat to approve it."""
    key = request_key(person.id)
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


async def approve(ctx: Context, person_id: int) -> bool:
    """A second secretariat member approves a pending grant of the secretariat role.

    Returns:
        False when there was no such request (nothing said: the caller says :data:`NO_REQUEST` its way).
    """
    row = await ctx.store.session.get(Setting, request_key(person_id))
    person = await ctx.store.persons.get(person_id) if row is not None else None
    if row is None or person is None or person.erased_at is not None:
        return False
    if ctx.person.id in (int(row.value), person.id):
        ctx.reply(
            ctx._(
                "Another secretariat member must approve this: not the one who asked, nor the person concerned."
            )
        )
        return True
    await ctx.store.session.delete(row)
    await change_role(ctx, person, Role.SECRETARIAT, requested_by=int(row.value))
    return True


async def secretariat_size(ctx: Context) -> int:
    """How many people hold the secretariat role."""
    return len(await ctx.store.persons.with_role(Role.SECRETARIAT))


async def last_secretariat_refused(ctx: Context, person: Person) -> bool:
    """True (and said) when ``person`` is the last secretariat member."""
    if person.role == Role.SECRETARIAT and await secretariat_size(ctx) == 1:
        ctx.reply(ctx._("This is the last secretariat member: grant the role to someone else first."))
        return True
    return False


async def change_role(ctx: Context, person: Person, role: Role, requested_by: int | None = None) -> None:
    """Set ``person``'s role (audited), keeping at least one secretariat member."""
    if person.role == role:
        ctx.reply(ctx._("#{id} already has that role.", id=person.id))
        return
    if await last_secretariat_refused(ctx, person):
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
