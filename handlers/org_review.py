"""The secretariat's review of organisations: ``orgs`` with filters, ``verify`` naming who it confirms.

``verify N`` verifies organisation N and lists the members who claim it, each with a Confirm button;
``verify N member M`` confirms one, ``verify N all`` confirms every one and names them. Confirming a
member is what lets them sign letters for the organisation, so it is done knowingly, person by person.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import N_, Translator
from bot.core.router import SECRETARIAT, Router
from handlers import org_ops
from handlers.case_view import member_name
from storage.models import Organisation

router = Router()
CONFIRM_ACTION = "org-confirm"


def _filter_words(t: Translator) -> dict[str, bool]:
    return {
        "pending": False,
        "verified": True,
        t.pgettext("organisation filter", "pending").casefold(): False,
        t.pgettext("organisation filter", "verified").casefold(): True,
    }


@router.command(
    "orgs", roles=SECRETARIAT, summary=N_("list organisations: ORGS [pending|verified] [country]")
)
async def orgs(ctx: Context, event: Event) -> None:
    """Every organisation with its state and members, optionally only pending or verified ones, or a country."""
    words, verified = ctx.answer.split(), None
    states = _filter_words(ctx.t)
    if words and words[0].casefold() in states:
        verified = states[words.pop(0).casefold()]
    country = " ".join(words) or None
    found = await ctx.store.organisations.overview(verified, country)
    if not found:
        ctx.reply(ctx._("No organisation matches."))
        return
    lines = [ctx.ngettext("{n} organisation:", "{n} organisations:", len(found))]
    for organisation, claimed, confirmed in found:
        lines.append(
            ctx._(
                "#{id} {organisation} ({country}) — {state}, {members}",
                id=organisation.id,
                organisation=organisation.name,
                country=organisation.country or "?",
                state=ctx._("verified") if organisation.verified else ctx._("not verified"),
                members=ctx.ngettext(
                    "{n} member ({confirmed} confirmed)", "{n} members ({confirmed} confirmed)", claimed,
                    confirmed=confirmed,
                ),
            )
        )  # fmt: skip
    lines.append(
        ctx._(
            "Filters: ORGS {pending}, ORGS {verified}, ORGS followed by a country. "
            "VERIFY followed by the number verifies an organisation and shows its members to confirm.",
            pending=ctx.t.pgettext("organisation filter", "pending"),
            verified=ctx.t.pgettext("organisation filter", "verified"),
        )
    )
    ctx.reply("\n".join(lines))


@router.command(
    "verify",
    roles=SECRETARIAT,
    summary=N_("verify an organisation and confirm its members"),
    private_only=True,
)
async def verify(ctx: Context, event: Event) -> None:
    """``verify N``, ``verify N member M``, ``verify N all``."""
    words = [w.lstrip("#") for w in ctx.answer.split()]
    organisation = await ctx.store.organisations.get(int(words[0])) if words and words[0].isdigit() else None
    if organisation is None:
        ctx.reply(ctx._("No organisation has that number. Type ORGS to see the list."))
        return
    rest = [w.casefold() for w in words[1:]]
    member_words = {"member", ctx.t.pgettext("verify", "member").casefold()}
    all_words = {"all", ctx.t.pgettext("verify", "all").casefold()}
    if len(rest) == 2 and rest[0] in member_words and rest[1].isdigit():
        verified = await org_ops.mark_verified(ctx, organisation)
        confirmed = await org_ops.confirm_one(ctx, organisation, int(rest[1]))
        ctx.reply("\n".join(filter(None, (verified, confirmed))))
    elif len(rest) == 1 and rest[0] in all_words:
        verified = await org_ops.mark_verified(ctx, organisation)
        ctx.reply("\n".join(filter(None, (verified, await org_ops.confirm_all(ctx, organisation)))))
    elif not rest:
        await _verify_and_list(ctx, organisation)
    else:
        ctx.reply(ctx._("Usage: VERIFY number, VERIFY number member number, or VERIFY number all."))


@router.action(CONFIRM_ACTION, roles=SECRETARIAT)
async def confirm_button(ctx: Context, event: Event) -> None:
    """A Confirm button under ``verify N``: one member (``N:M``) or all of them (``N:all``)."""
    number, _, who = ctx.answer.partition(":")
    organisation = await ctx.store.organisations.get(int(number)) if number.isdigit() else None
    if organisation is None:
        ctx.notice(ctx._("This button has expired."))
        return
    if who.isdigit():
        ctx.reply(await org_ops.confirm_one(ctx, organisation, int(who)))
    else:
        ctx.reply(await org_ops.confirm_all(ctx, organisation))


async def _verify_and_list(ctx: Context, organisation: Organisation) -> None:
    """``verify N``: verified, then the members waiting by name, with a Confirm button each and one for all."""
    waiting = [
        p for p in await ctx.store.organisations.members(organisation.id) if not p.membership_confirmed
    ]
    lines = [await org_ops.verify(ctx, organisation)]
    buttons: list[list[Button]] = []
    if waiting:
        lines.append(
            ctx.ngettext(
                "{n} member waits for confirmation:", "{n} members wait for confirmation:", len(waiting)
            )
        )
        lines += [member_name(ctx.t, person) for person in waiting]
        buttons = [
            [
                Button(
                    ctx._("Confirm {person}", person=member_name(ctx.t, p)),
                    CONFIRM_ACTION,
                    f"{organisation.id}:{p.id}",
                )
            ]
            for p in waiting
        ]
        buttons.append([Button(ctx._("Confirm all"), CONFIRM_ACTION, f"{organisation.id}:all")])
    ctx.reply("\n".join(lines), buttons)  # fmt: skip
