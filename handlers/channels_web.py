"""The dashboard's channels: registered chats with their language, region and groups, and the lost targets.

A target is lost when a platform said the bot was blocked or removed, or the chat no longer exists (the
outbox's ``blocked`` and ``not_found`` failures): the outbox stops sending there, the secretariat is told
in chat (:mod:`handlers.alerts`), and this page keeps the list, with what did not arrive, when and why, in
the same words as that notice. Switching a channel off calls the operation behind ``channel off N``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy import or_, select

from bot.core.delivery import FailureKind
from bot.core.i18n import Translator
from bot.dashboard.links import PREFIX
from bot.dashboard.visit import form, found_or_404, redirect, render, visit
from handlers.alerts import REASONS, reference_of, what_failed
from handlers.channels import switch_off
from handlers.labels import group_label, join, platform_label, region_label
from storage.models import Channel, ChannelKind, Delivery, Identity
from storage.repositories import Store

routes = web.RouteTableDef()
LOST_KINDS = (FailureKind.BLOCKED, FailureKind.NOT_FOUND)
SCANNED = 2000  # latest lost deliveries read; the page lists the chats they went to
Chat = tuple[str, str, str]  # platform, workspace, chat id


@dataclass
class LostTarget:
    """A chat the bot can no longer reach, as the secretariat reads it."""

    channel: Channel | None
    person_id: int | None  # the person whose private chat it was (pseudonymous number)
    platform: str
    what: str
    reason: str
    when: datetime
    copies: int


async def lost_targets(store: Store, t: Translator) -> list[LostTarget]:
    """The chats the outbox found lost, latest first, each once, with its last lost delivery's story.

    A channel registered again since (active) is no longer lost and left out. The time is when the last
    attempt was due (the outbox keeps no separate failure time).
    """
    session = store.session
    failed = (
        await session.execute(
            select(Delivery)
            .where(
                Delivery.status == "failed",
                or_(*(Delivery.last_error.startswith(kind.value) for kind in LOST_KINDS)),
            )
            .order_by(Delivery.id.desc())
            .limit(SCANNED)
        )
    ).scalars()
    latest: dict[Chat, tuple[Delivery, int]] = {}
    for row in failed:
        key = (row.platform, row.workspace, row.chat_id)
        first, copies = latest.get(key, (row, 0))
        latest[key] = (first, copies + 1)
    channels = {
        (c.platform, c.workspace, c.chat_id): c for c in (await session.execute(select(Channel))).scalars()
    }
    found: list[LostTarget] = []
    for key, (row, copies) in latest.items():
        channel = channels.get(key)
        if channel is not None and channel.active:
            continue
        person_id = None
        if channel is None:
            person_id = (
                (
                    await session.execute(
                        select(Identity.person_id).where(
                            Identity.platform == row.platform, Identity.private_chat_id == row.chat_id
                        )
                    )
                )
                .scalars()
                .first()
            )
        kind, part, reference = await reference_of(session, row.subject)
        why = FailureKind((row.last_error or "").split(":")[0])
        found.append(
            LostTarget(
                channel, person_id, row.platform, what_failed(t, kind, part, reference),
                t.gettext(REASONS[why]), row.next_attempt_at, copies,
            )
        )  # fmt: skip
    return found


def _lost_chats(lost: list[LostTarget]) -> set[int]:
    return {target.channel.id for target in lost if target.channel is not None}


@routes.get("/channels")
async def channels(request: web.Request) -> web.Response:
    """Registered channels (member and triage) with their state, and the chats the bot can no longer reach."""
    here = visit(request)
    t = here.t
    lost = await lost_targets(here.store, t)
    lost_ids = _lost_chats(lost)
    registered = (
        await here.store.session.execute(
            select(Channel).where(Channel.kind.is_not(None)).order_by(Channel.id)
        )
    ).scalars()
    rows = [
        {
            "channel": row,
            "platform": platform_label(t, row.platform),
            "kind": t.gettext("triage channel")
            if row.kind == ChannelKind.TRIAGE
            else t.gettext("member channel"),
            "language": t.language_name(row.language) if row.language else "—",
            "region": region_label(t, row.region) if row.region else "—",
            "groups": join(t, (group_label(t, g) for g in row.working_groups or [])),
            "state": "lost"
            if row.id in lost_ids or not row.bot_member
            else ("active" if row.active else "off"),
        }
        for row in registered
    ]
    lost_rows = [{"target": target, "platform": platform_label(t, target.platform)} for target in lost]
    return render(request, "channels_list.html", rows=rows, lost=lost_rows)


@routes.post("/channels/{id}/off")
async def off(request: web.Request) -> web.Response:
    """Stop sending to a registered channel (as ``channel off N`` in a private chat)."""
    await form(request)
    here = visit(request)
    number = request.match_info["id"]
    row = await here.store.session.get(Channel, int(number)) if number.isdigit() else None
    registered = row if row is not None and row.kind is not None else None  # never registered: not found
    await switch_off(here.ctx, found_or_404(registered, "no such channel"))
    return redirect(f"{PREFIX}/channels")
