"""Linking an appeal to a case (kept internal) or a collective letter (shown to readers, so they can sign)."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import ActionEvent, Event
from bot.core.router import SECRETARIAT, Router, typed
from handlers.appeal_common import LINK_ACTION, from_button, repo
from handlers.appeal_draft import draft
from storage.cases import CaseRepository
from storage.letters import LetterRepository
from storage.models import Appeal

router = Router()


async def link(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal link REF SOS-…|CL-…``; without a reference, asks for them."""
    if args:
        await _link_references(ctx, found, args)
        return
    await _ask_links(ctx, found)


async def _ask_links(ctx: Context, found: Appeal) -> None:
    if not ctx.chat.is_private:
        ctx.reply(ctx._("Please write to me in a private chat for this."))
        return
    await ctx.start_flow("appeal", "link", mode="link", reference=found.reference, language="")
    ctx.reply(
        ctx._(
            "Type the reference of the case (SOS-…) or collective letter (CL-…) to link to {reference}, "
            "or press Done.",
            reference=found.reference,
        ),
        [[ctx.flow_button(ctx._("Done"), "done")]],
    )


async def _link_references(ctx: Context, found: Appeal, words: list[str]) -> bool:
    """Link each reference; True when every one was found."""
    ok = True
    for word in (w.strip(",;").upper() for w in words if w.strip(",;")):
        linked = False
        if word.startswith("SOS-"):
            case = await CaseRepository(ctx.store.session).by_reference(word)
            if case is not None:
                found.case_id, linked = case.id, True
        elif word.startswith("CL-"):
            letter = await LetterRepository(ctx.store.session).by_reference(word)
            if letter is not None:
                found.letter_id, linked = letter.id, True
        if not linked:
            ctx.reply(ctx._("No case or letter has the reference {reference}.", reference=word))
            ok = False
            continue
        await ctx.audit("appeal.link", f"appeal:{found.id}", to=word)
        ctx.reply(ctx._("{reference} is linked to {other}.", reference=found.reference, other=word))
    return ok


@draft.step("link")
async def _link_step(ctx: Context, event: Event) -> None:
    assert ctx.conversation is not None
    found = await repo(ctx).by_reference(ctx.conversation.data["reference"])
    if isinstance(event, ActionEvent) and ctx.answer != "done":
        ctx.notice(ctx._("This button has expired."))
        return
    words = ctx.answer.split()
    if (
        found is None
        or isinstance(event, ActionEvent)
        or not any(w.upper().startswith(("SOS-", "CL-")) for w in words)
    ):
        # Done, or something that is no reference at all: leave the flow rather than trap the next command.
        await ctx.end_flow()
        if found is not None:
            preview = typed(ctx.t, "appeal", "preview", found.reference)
            ctx.reply(ctx._("{reference} is ready: {preview}.", reference=found.reference, preview=preview))
        return
    if await _link_references(ctx, found, words):
        await ctx.end_flow()


@router.action(LINK_ACTION, roles=SECRETARIAT)
async def link_button(ctx: Context, event: Event) -> None:
    """The "Link a case or letter" button under a saved draft."""
    found = await from_button(ctx)
    if found is not None:
        await _ask_links(ctx, found)
