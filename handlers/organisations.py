"""Joining an organisation (the member names it) and its verification by the secretariat."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Event, FormEvent, FormField
from bot.core.i18n import N_
from bot.core.router import Router
from handlers import org_review
from storage.models import Role

router = Router().include(org_review.router)
join_flow = router.flow("join")
MAX_NAME = 200
JOIN_FORM = "form.join"


@router.command("join", summary=N_("say which organisation you belong to"), private_only=True)
async def join(ctx: Context, event: Event) -> None:
    """One form where the platform has forms (a Slack modal), else two questions: name, then country."""
    if ctx.can_open_form:
        ctx.form(
            JOIN_FORM,
            ctx._("Your organisation"),
            [FormField("name", ctx._("Organisation's full name")), FormField("country", ctx._("Country"))],
            ctx._("Send"),
        )
        return
    await ctx.start_flow("join", "name")
    ctx.reply(ctx._("Which organisation do you belong to? Type its full name (or CANCEL)."))


@join_flow.step("name")
async def join_name(ctx: Context, event: Event) -> None:
    """The organisation's name was typed."""
    name = " ".join(ctx.answer.split())
    if not name or len(name) > MAX_NAME:
        ctx.reply(ctx._("Please type the organisation's name ({limit} characters at most).", limit=MAX_NAME))
        return
    existing = await ctx.store.organisations.by_name(name)
    if existing is not None:
        await _link(ctx, existing.id)
        return
    await ctx.goto("country", name=name)
    ctx.reply(ctx._("In which country is {organisation} based?", organisation=name))


@join_flow.step("country")
async def join_country(ctx: Context, event: Event) -> None:
    """The organisation's country was typed: register it, unverified."""
    country = " ".join(ctx.answer.split())
    if not country or len(country) > 100:
        ctx.reply(ctx._("Please type the country's name."))
        return
    assert ctx.conversation is not None
    organisation, _ = await ctx.store.organisations.get_or_create(ctx.conversation.data["name"], country)
    await ctx.audit("org.register", f"org:{organisation.id}")
    await _link(ctx, organisation.id)


async def _link(ctx: Context, organisation_id: int) -> None:
    organisation = await ctx.store.organisations.get(organisation_id)
    assert organisation is not None
    ctx.person.organisation_id = organisation.id
    ctx.person.membership_confirmed = False
    if ctx.person.role == Role.DEFENDER:
        ctx.person.role = Role.MEMBER
    await ctx.audit("org.join", f"org:{organisation.id}", person=ctx.person.id)
    await ctx.end_flow()
    ctx.reply(
        ctx._(
            "Thank you. You are now listed as a member of {organisation}. "
            "The secretariat will confirm it before you can sign letters on its behalf.",
            organisation=organisation.name,
        )
    )


@router.action(JOIN_FORM)
async def join_form(ctx: Context, event: Event) -> None:
    """The join form was submitted: the same checks and outcome as the two questions."""
    assert isinstance(event, FormEvent)
    name = " ".join((event.value("name") or "").split())
    country = " ".join((event.value("country") or "").split())
    if not name or len(name) > MAX_NAME or not country or len(country) > 100:
        ctx.reply(ctx._("Please type the organisation's name ({limit} characters at most).", limit=MAX_NAME))
        return
    organisation, created = await ctx.store.organisations.get_or_create(name, country)
    if created:
        await ctx.audit("org.register", f"org:{organisation.id}")
    await _link(ctx, organisation.id)
