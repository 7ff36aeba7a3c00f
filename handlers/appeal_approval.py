"""The two-person rule after sending: an update, a follow-up or a retraction is written at once as held
messages, and goes out only when a second secretariat member approves it (the same Preview and Approve
buttons as the first send)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core import revisions
from bot.core.codec import to_message
from bot.core.context import Context
from bot.core.events import Button
from bot.core.i18n import Translator, translator
from bot.core.router import typed
from handlers.appeal_common import APPROVE_ACTION, PREVIEW_ACTION, tell_secretariat
from storage import appeals as store
from storage.appeals import PendingChange, subject
from storage.models import Appeal
from storage.outbox import URGENT
from storage.targeting import private_target


def _request_text(kind: str, author: str, reference: str) -> Callable[[Translator], str]:
    """The approval request for one kind of change, in each recipient's language."""

    def text(t: Translator) -> str:
        if kind == "update":
            return t.gettext(
                "{author} asks a second secretariat member to approve an update of the urgent appeal "
                "{reference}. Preview it, then approve it to send it.",
                author=author,
                reference=reference,
            )
        if kind == "followup":
            return t.gettext(
                "{author} asks a second secretariat member to approve a follow-up to the urgent appeal "
                "{reference}. Preview it, then approve it to send it.",
                author=author,
                reference=reference,
            )
        return t.gettext(
            "{author} asks a second secretariat member to approve the retraction of the urgent appeal "
            "{reference}. Preview it, then approve it to send it.",
            author=author,
            reference=reference,
        )

    return text


async def replace_waiting(ctx: Context, found: Appeal) -> bool:
    """Before a new change is held: drop the one waiting (and its rows); True when there was one."""
    return await store.drop_held(ctx.store.session, found.id)


async def hold(ctx: Context, found: Appeal, kind: str, replaced: bool) -> None:
    """The held rows are written: record the change, ask the rest of the secretariat, tell the author."""
    await store.hold_change(ctx.store.session, found.id, kind, ctx.person.id)
    if replaced:
        ctx.reply(ctx._("This replaces the change to {reference} that was waiting for approval.",
                        reference=found.reference))  # fmt: skip
    await ctx.audit("appeal.submit", f"appeal:{found.id}", change=kind)
    name = ctx.person.display_name or f"#{ctx.person.id}"
    await tell_secretariat(
        ctx,
        f"{subject(found.id)}:approval",
        _request_text(kind, name, found.reference),
        lambda t: [
            [
                Button(t.gettext("Preview"), PREVIEW_ACTION, str(found.id)),
                Button(t.gettext("Approve and send"), APPROVE_ACTION, str(found.id)),
            ]
        ],
    )
    ctx.reply(
        ctx._(
            "The change to {reference} waits for a second secretariat member: {approve}.",
            reference=found.reference,
            approve=typed(ctx.t, "appeal", "approve", found.reference),
        )
    )


async def preview_change(ctx: Context, found: Appeal) -> bool:
    """Show the change waiting for approval, one message per language as readers will see it.

    Returns:
        False when no change waits (the caller shows the ordinary preview).
    """
    pending = await store.pending_change(ctx.store.session, found.id)
    if pending is None:
        return False
    rows = await store.held_rows(ctx.store.session, found.id)
    buttons = []
    if pending.requested_by != ctx.person.id:
        buttons = [[Button(ctx._("Approve and send"), APPROVE_ACTION, str(found.id))]]
    ctx.reply(
        ctx.ngettext(
            "A change to {reference} waits for approval: {n} message is ready.",
            "A change to {reference} waits for approval: {n} messages are ready.",
            len(rows),
            reference=found.reference,
        ),
        buttons,
    )
    shown: set[str] = set()
    for row in rows:
        if row.language in shown:
            continue
        shown.add(row.language)
        heading = ctx._("— as {language} readers see it —", language=ctx.t.language_name(row.language))
        ctx.reply(heading + "\n" + to_message(row).text)
    return True


async def approve_change(ctx: Context, found: Appeal) -> bool:
    """A second secretariat member approves the waiting change; False when none waits."""
    pending = await store.pending_change(ctx.store.session, found.id)
    if pending is None:
        return False
    if pending.requested_by == ctx.person.id:
        ctx.reply(ctx._("Another secretariat member must approve what you wrote."))
        return True
    released = await store.release_held(ctx.store.session, found.id)
    _apply(found, pending)
    await ctx.audit("appeal.approve", f"appeal:{found.id}", change=pending.kind, copies=released)
    ctx.reply(ctx.ngettext("Approved: {n} message goes out.", "Approved: {n} messages go out.", released))
    await _tell_author(ctx, found, pending, released)
    return True


def _apply(found: Appeal, pending: PendingChange) -> None:
    """What the approved change does to the appeal's status."""
    if pending.kind == "update":
        found.status = "updated"
    elif pending.kind == "retract":
        found.status = "retracted"


async def _tell_author(ctx: Context, found: Appeal, pending: PendingChange, count: int) -> None:
    author = await private_target(ctx.store.session, pending.requested_by, ctx.settings.default_language)
    if author is None:
        return
    await ctx.fan_out(
        f"{subject(found.id)}:approved",
        author,
        translator(author.language).ngettext(
            "Your change to {reference} was approved: {n} message goes out.",
            "Your change to {reference} was approved: {n} messages go out.",
            count,
            reference=found.reference,
        ),
        priority=URGENT,
        revision=await revisions.fresh(ctx.store.session, f"{subject(found.id)}:approved"),
    )
