"""Urgent appeals: the ``appeal`` command, one subcommand per step of an appeal's life, and the network
settings. Drafting lives in ``appeal_draft`` and ``appeal_links``, sending in ``appeal_send``, what follows
it in ``appeal_after``, delivery status in ``appeal_status``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.context import Context
from bot.core.events import Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from handlers import appeal_after, appeal_draft, appeal_links, appeal_send, appeal_status
from handlers.appeal_common import allowed_here, repo
from handlers.appeal_render import pick_text, status_label
from handlers.appeal_settings import settings_command
from handlers.appeal_status import refresh_live_status
from storage.models import Appeal

router = Router()
router.include(
    appeal_draft.router, appeal_links.router, appeal_send.router, appeal_after.router, appeal_status.router
)
router.command(
    "settings",
    roles=SECRETARIAT,
    summary=N_("network settings: SETTINGS two-person on|off, SETTINGS delete-reports on|off"),
)(settings_command)
Subcommand = Callable[[Context, Appeal, list[str]], Awaitable[None]]

__all__ = ["refresh_live_status", "router"]


@router.command(
    "appeal",
    roles=SECRETARIAT,
    summary=N_("urgent appeals: APPEAL new, translate, preview, target, send, status…"),
)
async def appeal(ctx: Context, event: Event) -> None:
    """``appeal <sub> [REF] [args]``: one command, one subcommand per step of an appeal's life."""
    if not await allowed_here(ctx):
        return
    words = ctx.answer.split()
    sub = words[0].lower() if words else ""
    if sub == "new":
        await appeal_draft.new(ctx, words[1:])
        return
    if sub == "list":
        await _list(ctx)
        return
    handler = SUBCOMMANDS.get(sub)
    if handler is None or len(words) < 2:
        ctx.reply(
            ctx._(
                "Usage: APPEAL new [language] | list | translate REF language | preview REF "
                "| target REF all/region:…/group:…/language:… | send REF | approve REF | status REF "
                "| update REF language [title/what/todo] | update REF deadline | followup REF text "
                "| link REF SOS-…/CL-… | retract REF | close REF"
            )
        )
        return
    found = await repo(ctx).by_reference(words[1], lock=True)
    if found is None:
        ctx.reply(ctx._("No appeal has the reference {reference}.", reference=words[1].upper()))
        return
    await handler(ctx, found, words[2:])


async def _list(ctx: Context) -> None:
    found = await repo(ctx).recent()
    lines = [ctx.ngettext("{n} appeal:", "{n} appeals:", len(found))]
    for row in found:
        texts = await repo(ctx).texts(row.id)
        title = pick_text(texts, ctx.locale, ctx.settings.default_language)[0].title if texts else "—"
        lines.append(
            ctx._(
                "{reference} — {title} ({status})",
                reference=row.reference,
                title=title,
                status=status_label(ctx.t, row.status),
            )
        )
    ctx.reply("\n".join(lines))


SUBCOMMANDS: dict[str, Subcommand] = {
    "translate": appeal_draft.translate,
    "preview": appeal_send.preview,
    "target": appeal_send.set_target,
    "send": appeal_send.send,
    "approve": appeal_send.approve,
    "status": appeal_status.show_status,
    "update": appeal_draft.update,
    "followup": appeal_after.send_followup,
    "link": appeal_links.link,
    "retract": appeal_after.retract,
    "close": appeal_after.close,
}
