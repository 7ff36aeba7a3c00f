"""Operations on organisations that the chat's review (``verify``) and the dashboard both call.

Each changes the store, records the audit entry and returns the sentence that tells the secretariat member
what happened (the chat replies with it, the dashboard shows it as a notice). Only verified organisations
sign letters, and only confirmed members sign for them: these are the switches that allow it.
"""

from __future__ import annotations

from bot.core.context import Context
from handlers.case_view import member_name
from storage.models import Organisation, Person


async def mark_verified(ctx: Context, organisation: Organisation) -> str | None:
    """Mark it verified (audited); the sentence saying so, or None when it already was."""
    if organisation.verified:
        return None
    organisation.verified = True
    await ctx.audit("org.verify", f"org:{organisation.id}")
    return ctx._("{organisation} is verified.", organisation=organisation.name)


async def verify(ctx: Context, organisation: Organisation) -> str:
    """Mark it verified; the sentence saying so, or that it already was."""
    return await mark_verified(ctx, organisation) or ctx._(
        "{organisation} was already verified.", organisation=organisation.name
    )


async def unverify(ctx: Context, organisation: Organisation) -> str:
    """Withdraw the verification (audited): the organisation signs no more letters until verified again.

    Its members' confirmations stay, so verifying it again needs no second round of confirmations.
    """
    if not organisation.verified:
        return ctx._("{organisation} was not verified.", organisation=organisation.name)
    organisation.verified = False
    await ctx.audit("org.unverify", f"org:{organisation.id}")
    return ctx._(
        "{organisation} is no longer verified: it cannot sign letters until it is verified again.",
        organisation=organisation.name,
    )


async def confirm_one(ctx: Context, organisation: Organisation, person_id: int) -> str:
    """Confirm that person ``person_id`` belongs to the organisation they named; the sentence saying so."""
    person = await ctx.store.persons.get(person_id)
    if person is None or person.erased_at is not None or person.organisation_id != organisation.id:
        return ctx._("#{id} has not named {organisation}.", id=person_id, organisation=organisation.name)
    if person.membership_confirmed:
        return ctx._("{person} was already confirmed.", person=member_name(ctx.t, person))
    return await _confirmed(ctx, organisation, [person])


async def confirm_all(ctx: Context, organisation: Organisation) -> str:
    """Confirm every member still waiting; the sentence naming them."""
    confirmed = await ctx.store.organisations.confirm_members(organisation.id)
    if not confirmed:
        return ctx._("Nobody is waiting for confirmation in {organisation}.", organisation=organisation.name)
    return await _confirmed(ctx, organisation, confirmed)


async def _confirmed(ctx: Context, organisation: Organisation, persons: list[Person]) -> str:
    """Mark ``persons`` confirmed (audited one by one); the sentence naming them."""
    for person in persons:
        person.membership_confirmed = True
        await ctx.audit("member.confirm", f"person:{person.id}", org=organisation.id)
    return ctx.ngettext(
        "{n} member of {organisation} confirmed: {names}.",
        "{n} members of {organisation} confirmed: {names}.",
        len(persons),
        organisation=organisation.name,
        names=", ".join(member_name(ctx.t, p) for p in persons),
    )
