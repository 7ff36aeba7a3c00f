"""The pseudonymous relay between the secretariat and a case's reporter, and the reporter's own list.

The reporter is only ever shown as the case reference: never a name, a username or a platform id. Their
messages go onto the timeline (encrypted) and the triage channel is told by case only.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core import revisions
from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import N_, translator
from bot.core.router import Router
from handlers.case_view import status_label
from handlers.report_alerts import alert_triage
from storage.cases import CaseRepository
from storage.models import Case
from storage.outbox import URGENT
from storage.targeting import private_target

router = Router()
relay = router.flow("relay")


async def tell_reporter(
    ctx: Context, case: Case, text_for: Callable[[str], str], answerable: bool = False
) -> bool:
    """Queue a message to the reporter's private chat, in their language; False when they erased themselves."""
    if case.reporter_id is None:
        return False
    target = await private_target(ctx.store.session, case.reporter_id, ctx.settings.default_language)
    if target is None:
        return False
    language = target.language
    buttons = (
        [[Button(translator(language).gettext("Answer"), "case-answer", str(case.id))]] if answerable else []
    )
    events = await CaseRepository(ctx.store.session).timeline(case)
    await ctx.fan_out(
        f"case:{case.id}:reporter",
        target,
        text_for(language),
        buttons,
        priority=URGENT,
        revision=revisions.per_fact(len(events)),  # one message per timeline entry
    )
    return True


@router.command("mycases", summary=N_("your reports and their status"), private_only=True)
async def mycases(ctx: Context, event: Event) -> None:
    """A reporter's own cases, each with a button to add information."""
    found = await CaseRepository(ctx.store.session).of_reporter(ctx.person.id)
    if not found:
        ctx.reply(ctx._("You have not reported anything."))
        return
    lines = [ctx.ngettext("{n} report:", "{n} reports:", len(found))]
    lines += [f"{c.reference} — {status_label(ctx.t, c.status)}" for c in found]
    buttons = [
        [Button(ctx._("Add information to {reference}", reference=c.reference), "case-answer", str(c.id))]
        for c in found
    ]
    ctx.reply("\n".join(lines), buttons)


@router.action("case-answer")
async def start_answer(ctx: Context, event: Event) -> None:
    """The reporter's Answer / Add information button: their next message goes to the case."""
    case = await ctx.store.session.get(Case, int(ctx.answer)) if ctx.answer.isdigit() else None
    if case is None or case.reporter_id != ctx.person.id:
        ctx.notice(ctx._("This button has expired."))
        return
    await ctx.start_flow("relay", "text", case=case.id, erase=[])  # the message leaves the chat once stored
    ctx.reply(ctx._("Write your message for {reference} (or CANCEL).", reference=case.reference))


@relay.step("text")
async def relay_text(ctx: Context, event: Event) -> None:
    """The reporter's message: onto the timeline (encrypted) and to the triage channel, by case only."""
    assert ctx.conversation is not None
    case = await ctx.store.session.get(Case, int(ctx.conversation.data["case"]))
    await ctx.end_flow()
    if case is None or not ctx.answer.strip():
        ctx.reply(ctx._("Nothing was sent."))
        return
    await CaseRepository(ctx.store.session).add_event(
        case, "from_reporter", ctx.person.id, ctx.answer.strip()
    )
    await ctx.audit("case.reporter_message", f"case:{case.id}")
    await alert_triage(
        ctx, case.id, case.reference, case.country or "", case.threat_type, case.urgency, message=True
    )
    ctx.reply(
        ctx._(
            "Your message was added to {reference}. The secretariat has been told.", reference=case.reference
        )
    )
