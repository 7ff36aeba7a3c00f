"""After an appeal went out: update (every copy edited, marked "updated"), follow-up (a new message replying
to each copy), retract (every copy becomes a retraction notice), close; and members' "I acted"."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.core import revisions
from bot.core.codec import target_of
from bot.core.context import Context
from bot.core.events import Button, ChatKind, Event
from bot.core.outbox_api import Draft, Message
from bot.core.router import SECRETARIAT, Router, UsageError
from handlers import appeal_approval
from handlers.appeal_common import SENT_STATES, from_button, letter_reference, repo, two_person_rule
from handlers.appeal_render import ACTED, acted_button, followup, render, retraction
from storage import appeals as appeal_store
from storage.appeals import subject
from storage.models import Appeal, Identity, Person
from storage.outbox import URGENT, Target

router = Router()
RETRACT_ACTION = "appeal-retract"
FOLLOWUP_LIMIT = 1500  # characters; with the introduction it stays far below both platforms' limits

# A copy's edit: (its target, reader's timezone or None for channels) -> text and buttons.
DraftFor = Callable[[Target, str | None], Draft]


async def _edit_copies(ctx: Context, found: Appeal, draft_for: DraftFor, *, held: bool = False) -> int:
    """Queue an edit (the appeal's version) of every copy delivered or on its way; returns how many.

    Like ``Outbox.edit_all``, but each private copy keeps its reader's timezone for the deadline, as when
    it was first sent.
    """
    targets = [target_of(copy) for copy in await repo(ctx).copies(found.id)]
    chat_ids = [t.chat_id for t in targets if t.kind == ChatKind.PRIVATE]
    zones: dict[tuple[str, str, str], str | None] = {}
    if chat_ids:
        rows = await ctx.store.session.execute(
            select(Identity.platform, Identity.workspace, Identity.private_chat_id, Person.timezone)
            .join(Person, Person.id == Identity.person_id)
            .where(Identity.private_chat_id.in_(chat_ids))
        )
        zones = {(p, w, c or ""): tz for p, w, c, tz in rows.all()}
    messages = []
    for target in targets:
        private = target.kind == ChatKind.PRIVATE
        zone = zones.get((target.platform, target.workspace, target.chat_id)) if private else None
        messages.append(Message(target, *draft_for(target, zone)))
    # A fresh revision under the appeal's row lock: these rows are new, so they go in one statement.
    return await ctx.outbox.send_many(
        subject(found.id),
        messages,
        priority=URGENT,
        revision=revisions.of_version(found.revision),
        operation="edit",
        held=held,
    )


def _draft(target: Target, text: str, with_button: Appeal | None = None) -> Draft:
    return text, acted_button(with_button, target.language) if with_button is not None else []


async def push_update(ctx: Context, found: Appeal) -> None:
    """The appeal's text or deadline changed after sending: every copy is edited, marked "updated"."""
    texts = await repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    letter = await letter_reference(ctx, found)
    held = await two_person_rule(ctx)
    replaced = held and await appeal_approval.replace_waiting(ctx, found)
    found.revision += 1
    queued = await _edit_copies(
        ctx,
        found,
        lambda target, zone: _draft(
            target,
            render(found, texts, target.language, default, updated=True, timezone=zone, letter=letter),
            found,
        ),
        held=held,
    )
    await ctx.audit("appeal.update", f"appeal:{found.id}", revision=found.revision, copies=queued)
    if held:
        await appeal_approval.hold(ctx, found, "update", replaced)
        return
    found.status = "updated"
    ctx.reply(ctx.ngettext("{n} copy will be updated.", "{n} copies will be updated.", queued))


async def send_followup(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal followup REF text``: a new message to every copy, as a reply to it where the platform allows."""
    text = ctx.answer.split(None, 1)[1].strip() if len(ctx.answer.split(None, 1)) == 2 else ""
    if found.status not in SENT_STATES:
        ctx.reply(ctx._("{reference} has not been sent.", reference=found.reference))
        return
    if not text:
        raise UsageError
    if len(text) > FOLLOWUP_LIMIT:
        ctx.reply(
            ctx._(
                "Please keep it under {limit} characters (this has {length}).",
                limit=FOLLOWUP_LIMIT,
                length=len(text),
            )
        )
        return
    held = await two_person_rule(ctx)
    replaced = held and await appeal_approval.replace_waiting(ctx, found)
    number = await repo(ctx).next_followup(found.id)  # after dropping a held follow-up: it keeps no number
    # A copy still on its way has no platform id yet: the follow-up then comes as a plain message.
    items = [
        Message(target_of(copy), followup(found, copy.language, text), reply_to=copy.platform_message_id)
        for copy in await repo(ctx).copies(found.id)
    ]
    count = await ctx.outbox.send_many(f"{subject(found.id)}:followup", items, priority=URGENT,
                                       revision=revisions.per_fact(number), held=held)  # fmt: skip
    await ctx.audit("appeal.followup", f"appeal:{found.id}", number=number, copies=count)
    if held:
        await appeal_approval.hold(ctx, found, "followup", replaced)
        return
    ctx.reply(ctx.ngettext("The follow-up goes to {n} copy.", "The follow-up goes to {n} copies.", count))


async def retract(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal retract REF``: asks to confirm, with a button; nothing changes before it is pressed."""
    if found.status not in SENT_STATES:
        ctx.reply(ctx._("{reference} has not been sent.", reference=found.reference))
        return
    copies = len(await repo(ctx).copies(found.id))
    ctx.reply(
        ctx.ngettext(
            "Retract {reference}? Its {n} copy will be replaced by a notice asking members to take no further "
            "action. This cannot be undone.",
            "Retract {reference}? Its {n} copies will be replaced by a notice asking members to take no "
            "further action. This cannot be undone.",
            copies,
            reference=found.reference,
        ),
        [[Button(ctx._("Retract"), RETRACT_ACTION, str(found.id))]],
    )


@router.action(RETRACT_ACTION, roles=SECRETARIAT)
async def retract_confirmed(ctx: Context, event: Event) -> None:
    """Retract pressed: every copy is replaced by a retraction notice (no button) in its language."""
    found = await from_button(ctx)
    if found is None:
        return
    await ctx.store.session.refresh(found, with_for_update=True)
    if found.status not in SENT_STATES:
        ctx.reply(ctx._("{reference} has not been sent.", reference=found.reference))
        return
    held = await two_person_rule(ctx)
    replaced = held and await appeal_approval.replace_waiting(ctx, found)
    found.revision += 1
    queued = await _edit_copies(
        ctx, found, lambda target, _zone: _draft(target, retraction(found, target.language)), held=held
    )
    await ctx.audit("appeal.retract", f"appeal:{found.id}", revision=found.revision, copies=queued)
    if held:
        await appeal_approval.hold(ctx, found, "retract", replaced)
        return
    found.status = "retracted"
    ctx.reply(
        ctx.ngettext("{n} copy will show the retraction.", "{n} copies will show the retraction.", queued)
    )


async def close(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal close REF``: no more action needed; copies say so and lose their "I acted" button."""
    if found.status == "closed":
        ctx.reply(ctx._("{reference} is already closed.", reference=found.reference))
        return
    if await appeal_store.drop_held(ctx.store.session, found.id):
        ctx.reply(ctx._("The change to {reference} that was waiting for approval is cancelled.",
                        reference=found.reference))  # fmt: skip
    if found.status == "retracted":  # its copies already say it was withdrawn: that stays its mark
        await ctx.audit("appeal.close", f"appeal:{found.id}", copies=0)
        ctx.reply(
            ctx._("{reference} was retracted: it stays marked as retracted.", reference=found.reference)
        )
        return
    queued = 0
    if found.status in SENT_STATES:
        texts = await repo(ctx).texts(found.id)
        default = ctx.settings.default_language
        letter = await letter_reference(ctx, found)
        found.revision += 1
        queued = await _edit_copies(
            ctx,
            found,
            lambda target, zone: _draft(
                target,
                render(found, texts, target.language, default, closed=True, timezone=zone, letter=letter),
            ),
        )
    found.status = "closed"
    await ctx.audit("appeal.close", f"appeal:{found.id}", copies=queued)
    ctx.reply(ctx._("{reference} is closed.", reference=found.reference))


@router.action(ACTED)
async def acted(ctx: Context, event: Event) -> None:
    """A member says they acted on an appeal; counted once per person, whichever copy they pressed."""
    found = await from_button(ctx)
    if found is None:
        return
    if found.status not in SENT_STATES:
        ctx.notice(ctx._("This appeal is closed."))
        return
    if await repo(ctx).has_acted(found.id, ctx.person.id):
        ctx.notice(ctx._("Already counted. Thank you!"))
        return
    await ctx.audit(appeal_store.ACTED, subject(found.id))
    ctx.notice(ctx._("Thank you! The secretariat sees that you acted."))
