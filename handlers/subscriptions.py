"""Direct alerts: a member subscribes to urgent appeals in their private chat, narrows them to regions and
working groups with buttons (or typed words), and anyone can always unsubscribe."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import N_
from bot.core.router import MEMBERS, Router
from handlers.labels import (
    GROUP_NAMES,
    REGION_NAMES,
    group_label,
    join,
    parse_group,
    parse_region,
    region_label,
)
from storage.models import Subscription
from storage.targeting import REGIONS, WORKING_GROUPS

router = Router()
CHOOSE = "alerts"  # button action; payload "open", "region:<key>:on|off", "group:<key>:on|off", "all", "done", "off"


@router.command(
    "subscribe",
    summary=N_("get urgent appeals here: SUBSCRIBE [regions] [working groups]"),
    private_only=True,
)
async def subscribe(ctx: Context, event: Event) -> None:
    """``subscribe`` (everything) or ``subscribe africa women-escr``; buttons narrow it afterwards.

    Open to members of the network (and the secretariat); anyone else is told how to become one.
    """
    if ctx.person.role not in MEMBERS:
        ctx.reply(
            ctx._(
                "Urgent appeals go to the network's members. Type JOIN to say which organisation you belong to, "
                "then SUBSCRIBE."
            )
        )
        return
    regions, groups, unknown = read_choices(ctx.answer)
    if unknown:
        ctx.reply(
            ctx._(
                "Unknown region or working group: {words}. Regions: {regions}. Working groups: {groups}.",
                words=join(ctx.t, unknown),
                regions=join(ctx.t, (region_label(ctx.t, key) for key in REGIONS)),
                groups=join(ctx.t, (group_label(ctx.t, key) for key in WORKING_GROUPS)),
            )
        )
        return
    row = await _subscription(ctx)
    if row is None:
        row = Subscription(person_id=ctx.person.id)
        ctx.store.session.add(row)
    row.regions, row.working_groups = regions, groups
    row.active = True
    await ctx.audit(
        "subscription.on", f"person:{ctx.person.id}", regions=row.regions, groups=row.working_groups
    )
    ctx.reply(_confirmation(ctx, row), [[Button(ctx._("Choose regions and working groups"), CHOOSE, "open")]])


LONGEST_NAME = 8  # words in the longest region or working group name («Oriente Medio y Norte de África»)


def read_choices(text: str) -> tuple[list[str], list[str], list[str]]:
    """(regions, working groups, words not understood) named in ``text`` in any of the five languages, as
    people type them: several words to a name, commas or not, with or without accents or articles."""
    words = text.replace(",", " ").replace("،", " ").split()
    regions: list[str] = []
    groups: list[str] = []
    unknown: list[str] = []
    while words:
        for count in range(min(LONGEST_NAME, len(words)), 0, -1):  # the longest name first
            name = " ".join(words[:count])
            region, group = parse_region(name), parse_group(name)
            if region or group:
                target = regions if region else groups
                key = region or group
                if key not in target:
                    target.append(key)  # type: ignore[arg-type]
                words = words[count:]
                break
        else:
            unknown.append(words.pop(0))
    return regions, groups, unknown


@router.command("unsubscribe", summary=N_("stop receiving urgent appeals here"))
async def unsubscribe(ctx: Context, event: Event) -> None:
    """Stop direct alerts (open to everyone: a person whose member role ended must be able to stop too)."""
    row = await _subscription(ctx)
    if row is None or not row.active:
        ctx.reply(ctx._("You were not subscribed."))
        return
    row.active = False
    await ctx.audit("subscription.off", f"person:{ctx.person.id}")
    ctx.reply(ctx._("You will no longer receive urgent appeals here."))


@router.action(CHOOSE, roles=MEMBERS)
async def choose(ctx: Context, event: Event) -> None:
    """A button of the chooser: each one says what it sets, so an old or doubled press does no harm."""
    row = await _subscription(ctx)
    if row is None or not row.active:
        ctx.notice(ctx._("You are not subscribed: type SUBSCRIBE to receive urgent appeals."))
        return
    payload = ctx.answer
    if payload == "done":
        ctx.edit(_confirmation(ctx, row))
        return
    if payload == "off":
        row.active = False
        await ctx.audit("subscription.off", f"person:{ctx.person.id}")
        ctx.edit(ctx._("You will no longer receive urgent appeals here."))
        return
    if payload != "open" and not _apply(row, payload):
        ctx.notice(ctx._("This button has expired."))
        return
    if payload != "open":
        await ctx.audit(
            "subscription.change", f"person:{ctx.person.id}", regions=row.regions, groups=row.working_groups
        )
    ctx.edit(
        ctx._(
            "Urgent appeals here: {choice}. Pick regions and working groups to narrow them; with none picked, "
            "you receive every appeal.",
            choice=_choice(ctx, row),
        ),
        _chooser(ctx, row),
    )


def _apply(row: Subscription, payload: str) -> bool:
    """Apply ``all`` or ``region|group:<key>:on|off``; False for a payload this version does not know."""
    if payload == "all":
        row.regions, row.working_groups = [], []
        return True
    kind, _, rest = payload.partition(":")
    key, _, state = rest.partition(":")
    known = {"region": REGIONS, "group": WORKING_GROUPS}.get(kind, ())
    if key not in known or state not in ("on", "off"):
        return False
    current = list((row.regions if kind == "region" else row.working_groups) or [])
    chosen = [k for k in known if (k in current and k != key) or (k == key and state == "on")]
    if kind == "region":
        row.regions = chosen
    else:
        row.working_groups = chosen
    return True


def _chooser(ctx: Context, row: Subscription) -> list[list[Button]]:
    regions, groups = list(row.regions or []), list(row.working_groups or [])

    def button(kind: str, key: str, names: dict[str, str], chosen: list[str]) -> Button:
        on = key in chosen
        label = ("✓ " if on else "") + ctx._(names[key])
        return Button(label, CHOOSE, f"{kind}:{key}:{'off' if on else 'on'}")

    region_buttons = [button("region", key, REGION_NAMES, regions) for key in REGIONS]
    group_buttons = [button("group", key, GROUP_NAMES, groups) for key in WORKING_GROUPS]
    return [
        region_buttons[:3],
        region_buttons[3:],
        group_buttons[:2],
        group_buttons[2:4],
        group_buttons[4:],
        [Button(ctx._("Every appeal"), CHOOSE, "all"), Button(ctx._("Done"), CHOOSE, "done")],
        [Button(ctx._("Unsubscribe"), CHOOSE, "off")],
    ]


def _choice(ctx: Context, row: Subscription) -> str:
    names = [ctx._(REGION_NAMES[k]) for k in row.regions or [] if k in REGION_NAMES]
    names += [ctx._(GROUP_NAMES[k]) for k in row.working_groups or [] if k in GROUP_NAMES]
    return join(ctx.t, names) if names else ctx._("every appeal")


def _confirmation(ctx: Context, row: Subscription) -> str:
    if not row.regions and not row.working_groups:
        return ctx._("You will receive every urgent appeal here. Type UNSUBSCRIBE to stop.")
    return ctx._(
        "You will receive urgent appeals for: {choice}. Type UNSUBSCRIBE to stop.", choice=_choice(ctx, row)
    )


async def _subscription(ctx: Context) -> Subscription | None:
    result = await ctx.store.session.execute(
        select(Subscription).where(Subscription.person_id == ctx.person.id)
    )
    return result.scalar_one_or_none()
