"""Direct alerts: a person subscribes (optionally to regions and working groups) and can always unsubscribe."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context
from bot.core.events import Event
from bot.core.i18n import N_
from bot.core.router import Router
from storage.models import Subscription
from storage.targeting import REGIONS, WORKING_GROUPS

router = Router()


@router.command(
    "subscribe",
    summary=N_("get urgent appeals here: SUBSCRIBE [regions] [working groups]"),
    private_only=True,
)
async def subscribe(ctx: Context, event: Event) -> None:
    """``subscribe`` (everything) or ``subscribe africa women-escr``."""
    words = ctx.answer.lower().split()
    unknown = [w for w in words if w not in REGIONS and w not in WORKING_GROUPS]
    if unknown:
        ctx.reply(
            ctx._(
                "Unknown region or working group: {words}. Regions: {regions}. Working groups: {groups}.",
                words=", ".join(unknown),
                regions=", ".join(REGIONS),
                groups=", ".join(WORKING_GROUPS),
            )
        )
        return
    row = await _subscription(ctx)
    if row is None:
        row = Subscription(person_id=ctx.person.id)
        ctx.store.session.add(row)
    row.regions = [w for w in words if w in REGIONS]
    row.working_groups = [w for w in words if w in WORKING_GROUPS]
    row.active = True
    await ctx.audit(
        "subscription.on", f"person:{ctx.person.id}", regions=row.regions, groups=row.working_groups
    )
    if not words:
        ctx.reply(ctx._("You will receive every urgent appeal here. Type UNSUBSCRIBE to stop."))
        return
    ctx.reply(
        ctx._(
            "You will receive urgent appeals for: {choice}. Type UNSUBSCRIBE to stop.",
            choice=", ".join(words),
        )
    )


@router.command("unsubscribe", summary=N_("stop receiving urgent appeals here"))
async def unsubscribe(ctx: Context, event: Event) -> None:
    """Stop direct alerts."""
    row = await _subscription(ctx)
    if row is None or not row.active:
        ctx.reply(ctx._("You were not subscribed."))
        return
    row.active = False
    await ctx.audit("subscription.off", f"person:{ctx.person.id}")
    ctx.reply(ctx._("You will no longer receive urgent appeals here."))


async def _subscription(ctx: Context) -> Subscription | None:
    result = await ctx.store.session.execute(
        select(Subscription).where(Subscription.person_id == ctx.person.id)
    )
    return result.scalar_one_or_none()
