"""The secretariat's people tools: list people, grant and revoke roles, read the audit trail."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from handlers.labels import parse_role, role_label
from storage.models import Person, Role

router = Router()
PAGE = 30


@router.command("people", roles=SECRETARIAT, summary=N_("list people and their roles"))
async def people(ctx: Context, event: Event) -> None:
    """List persons with their number, role and organisation."""
    persons = await ctx.store.persons.listing(limit=PAGE)
    lines = [ctx.ngettext("{n} person:", "{n} people:", len(persons))]
    for person in persons:
        lines.append(
            ctx._(
                "#{id} {name} — {role}, {organisation}",
                id=person.id,
                name=person.display_name or ctx._("(no name)"),
                role=role_label(ctx.t, person.role),
                organisation=person.organisation.name if person.organisation else ctx._("no organisation"),
            )
        )
    ctx.reply("\n".join(lines))


async def _target(ctx: Context, word: str) -> Person | None:
    number = word.lstrip("#")
    person = await ctx.store.persons.get(int(number)) if number.isdigit() else None
    if person is None or person.erased_at is not None:
        ctx.reply(ctx._("No person has that number. Type PEOPLE to see the list."))
        return None
    return person


@router.command("grant", roles=SECRETARIAT, summary=N_("give a person a role: GRANT number role"))
async def grant(ctx: Context, event: Event) -> None:
    """``grant N role``: set person N's role."""
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
    await _change_role(ctx, person, role)


@router.command("revoke", roles=SECRETARIAT, summary=N_("take a person's secretariat or member role away"))
async def revoke(ctx: Context, event: Event) -> None:
    """``revoke N``: person N goes back to the defender role (the least privileged)."""
    person = await _target(ctx, ctx.answer.strip())
    if person is None:
        return
    await _change_role(ctx, person, Role.DEFENDER)


async def _change_role(ctx: Context, person: Person, role: Role) -> None:
    if person.role == role:
        ctx.reply(ctx._("#{id} already has that role.", id=person.id))
        return
    if person.role == Role.SECRETARIAT and len(await ctx.store.persons.with_role(Role.SECRETARIAT)) == 1:
        ctx.reply(ctx._("This is the last secretariat member: grant the role to someone else first."))
        return
    previous = person.role
    person.role = role
    await ctx.audit("role.change", f"person:{person.id}", old=previous.value, new=role.value)
    ctx.reply(
        ctx._(
            "#{id} is now: {role} (was: {previous}).",
            id=person.id,
            role=role_label(ctx.t, role),
            previous=role_label(ctx.t, previous),
        )
    )


@router.command("audit", roles=SECRETARIAT, summary=N_("show the latest actions recorded"))
async def audit(ctx: Context, event: Event) -> None:
    """The latest audit entries: when, who (person number), what, on which object."""
    entries = await ctx.store.audit.entries(limit=15)
    lines = [ctx._("Latest recorded actions:")]
    for entry in entries:
        lines.append(
            ctx._(
                "{when} — #{actor}: {action} {subject}",
                when=ctx.t.format_datetime(entry.created_at, "short"),
                actor=entry.actor_id or 0,
                action=entry.action,
                subject=entry.subject,
            )
        )
    ctx.reply("\n".join(lines))
