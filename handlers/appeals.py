"""Urgent appeals: the ``appeal`` command, one subcommand per step of an appeal's life, and the network
settings. Drafting lives in ``appeal_draft`` and ``appeal_links``, sending in ``appeal_send``, what follows
it in ``appeal_after``, delivery status in ``appeal_status``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router, SubHandler, UsageError
from handlers import appeal_after, appeal_draft, appeal_links, appeal_send, appeal_settings, appeal_status
from handlers.appeal_common import allowed_here, repo
from handlers.appeal_render import pick_text, status_label
from handlers.appeal_status import refresh_live_status
from storage.models import Appeal

router = Router()
router.include(
    appeal_draft.router,
    appeal_links.router,
    appeal_send.router,
    appeal_after.router,
    appeal_status.router,
    appeal_settings.router,
)
Subcommand = Callable[[Context, Appeal, list[str]], Awaitable[None]]

__all__ = ["refresh_live_status", "router"]


appeal = router.group(
    "appeal",
    roles=SECRETARIAT,
    where=allowed_here,
    summary=N_("urgent appeals: {subcommands}…"),
    listed=("new", "translate", "preview", "target", "send", "status"),
)


def _on_appeal(handler: Subcommand) -> SubHandler:
    """``APPEAL <word> REF …``: the appeal is loaded (locked) before ``handler`` runs."""

    async def run(ctx: Context, args: list[str]) -> None:
        if not args:
            raise UsageError
        found = await repo(ctx).by_reference(args[0], lock=True)
        if found is None:
            ctx.reply(ctx._("No appeal has the reference {reference}.", reference=args[0].upper()))
            return
        await handler(ctx, found, args[1:])

    return run


@appeal.sub("new", usage=N_("[language]"))
async def _new(ctx: Context, args: list[str]) -> None:
    await appeal_draft.new(ctx, args)


@appeal.sub("list")
async def _list(ctx: Context, args: list[str]) -> None:
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


appeal.sub("translate", usage=N_("REF language"))(_on_appeal(appeal_draft.translate))
appeal.sub("preview", usage=N_("REF"))(_on_appeal(appeal_send.preview))
appeal.sub("target", usage=N_("REF all, region, working group or language"))(
    _on_appeal(appeal_send.set_target)
)
appeal.sub("send", usage=N_("REF"))(_on_appeal(appeal_send.send))
appeal.sub("approve", usage=N_("REF"))(_on_appeal(appeal_send.approve))
appeal.sub("status", usage=N_("REF"))(_on_appeal(appeal_status.show_status))
appeal.sub(
    "update",
    usage=N_("REF language [{title}, {what} or {todo}], or REF {deadline}"),
    fields=appeal_draft.TYPED,
)(_on_appeal(appeal_draft.update))
appeal.sub("followup", usage=N_("REF text"))(_on_appeal(appeal_after.send_followup))
appeal.sub("link", usage=N_("REF case or letter reference"))(_on_appeal(appeal_links.link))
appeal.sub("retract", usage=N_("REF"))(_on_appeal(appeal_after.retract))
appeal.sub("close", usage=N_("REF"))(_on_appeal(appeal_after.close))
