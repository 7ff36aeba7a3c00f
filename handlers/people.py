"""The secretariat's lists of persons: ``people`` and ``audit``, answered only in a private chat.

A group's history is read by all its members and kept by the platform: names never go there. People who
only reported are counted, not named, unless they chose to be known (a report about themselves with
names publishable): the relay's pseudonymity must not be undone by a listing.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from handlers.labels import audit_label, role_label, subject_label
from storage.models import Person

router = Router()
PAGE = 30


def membership(ctx: Context, person: Person) -> str:
    """The person's organisation and whether the secretariat confirmed their membership."""
    if person.organisation is None:
        return ctx._("no organisation")
    if person.membership_confirmed:
        return ctx._("{organisation} (confirmed)", organisation=person.organisation.name)
    return ctx._("{organisation} (claimed, not confirmed yet)", organisation=person.organisation.name)


@router.command("people", roles=SECRETARIAT, summary=N_("list people and their roles"), private_only=True)
async def people(ctx: Context, event: Event) -> None:
    """List persons with their number, role, organisation and membership state."""
    persons, hidden = await ctx.store.persons.listing(limit=PAGE)
    lines = [ctx.ngettext("{n} person:", "{n} people:", len(persons))]
    for person in persons:
        lines.append(
            ctx._(
                "#{id} {name} — {role}, {organisation}",
                id=person.id,
                name=person.display_name or ctx._("(no name)"),
                role=role_label(ctx.t, person.role),
                organisation=membership(ctx, person),
            )
        )
    if hidden:
        lines.append(
            ctx.ngettext(
                "…and {n} person who only reported, not listed.",
                "…and {n} people who only reported, not listed.",
                hidden,
            )
        )
    ctx.reply("\n".join(lines))


@router.command("audit", roles=SECRETARIAT, summary=N_("show the latest actions recorded"), private_only=True)
async def audit(ctx: Context, event: Event) -> None:
    """The latest audit entries: when, who (person number; none for a reporter's own acts), what, on what."""
    entries = await ctx.store.audit.entries(limit=15)
    lines = [ctx._("Latest recorded actions:")]
    for entry in entries:
        lines.append(
            ctx._(
                "{when} — {actor}: {action} ({subject})",
                when=ctx.t.format_datetime(entry.created_at, "short"),
                actor="#" + str(entry.actor_id) if entry.actor_id else "—",
                action=audit_label(ctx.t, entry.action),
                subject=subject_label(ctx.t, entry.subject),
            )
        )
    ctx.reply("\n".join(lines))
