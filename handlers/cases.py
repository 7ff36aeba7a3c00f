"""Cases after the report: the secretariat's triage commands and the pseudonymous relay with the reporter.

Secretariat commands work only in a private chat or the triage channel; reading a case is audited. The
reporter is only ever shown as the case reference: never a name, a username or a platform id.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import N_, translator
from bot.core.router import SECRETARIAT, Router
from handlers.report_steps import CONSENT, SUPPORT, THREATS, URGENCY
from handlers.reports import alert_triage
from storage.appeals import AppealRepository
from storage.cases import STATUSES, CaseRepository
from storage.letters import LetterRepository
from storage.models import Case, Channel, ChannelKind, utcnow
from storage.outbox import URGENT
from storage.targeting import private_target

router = Router()
relay = router.flow("relay")
STATUS_LABELS = {
    "new": N_("new"),
    "triage": N_("in triage"),
    "verified": N_("verified"),
    "active": N_("active"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}


async def _allowed_here(ctx: Context) -> bool:
    """Secretariat case commands: a private chat or the triage channel, nowhere else."""
    if ctx.chat.is_private:
        return True
    channel = (
        await ctx.store.session.execute(
            select(Channel).where(
                Channel.platform == ctx.chat.platform,
                Channel.chat_id == ctx.chat.chat_id,
                Channel.kind == ChannelKind.TRIAGE,
                Channel.active.is_(True),
            )
        )
    ).scalar_one_or_none()
    if channel is None:
        ctx.reply(ctx._("Cases are handled only in a private chat or the triage channel."))
    return channel is not None


async def _case(ctx: Context, reference: str) -> Case | None:
    case = await CaseRepository(ctx.store.session).by_reference(reference) if reference else None
    if case is None:
        ctx.reply(ctx._("No case has the reference {reference}.", reference=reference.upper() or "—"))
    return case


@router.command("cases", roles=SECRETARIAT, summary=N_("open cases: CASES [status, urgency or country]"))
async def cases(ctx: Context, event: Event) -> None:
    """List open cases, optionally filtered."""
    if not await _allowed_here(ctx):
        return
    found = await CaseRepository(ctx.store.session).open_cases(ctx.answer)
    lines = [ctx.ngettext("{n} case:", "{n} cases:", len(found))]
    for case in found:
        lines.append(
            ctx._(
                "{reference} — {country}, {threat}, {urgency} ({status})",
                reference=case.reference,
                country=case.country or "—",
                threat=ctx._(THREATS.get(case.threat_type or "other", N_("Other"))),
                urgency=ctx._(URGENCY.get(case.urgency or "ongoing", N_("Ongoing"))),
                status=ctx._(STATUS_LABELS[case.status]),
            )
        )
    ctx.reply("\n".join(lines))


@router.command("case", roles=SECRETARIAT, summary=N_("read a case: CASE reference"))
async def case_(ctx: Context, event: Event) -> None:
    """``case REF`` shows a case (audited as a read); ``case REF link UA-…|CL-…`` links it to an appeal or a
    letter; ``case REF appeal`` / ``case REF letter`` starts one pre-filled with what the consent allows."""
    if not await _allowed_here(ctx):
        return
    words = ctx.answer.split()
    case = await _case(ctx, words[0] if words else "")
    if case is None:
        return
    action = words[1].lower() if len(words) > 1 else ""
    if not action:
        await _show(ctx, case)
    elif action == "link" and len(words) == 3:
        await _link(ctx, case, words[2])
    elif action in ("appeal", "letter"):
        await _start_from_case(ctx, case, action)
    else:
        ctx.reply(ctx._("Usage: CASE reference [link UA-…|CL-…] [appeal] [letter]."))


async def _link(ctx: Context, case: Case, reference: str) -> None:
    appeal = await AppealRepository(ctx.store.session).by_reference(reference)
    letter = await LetterRepository(ctx.store.session).by_reference(reference)
    target = appeal or letter
    if target is None:
        ctx.reply(ctx._("No appeal or letter has the reference {reference}.", reference=reference.upper()))
        return
    target.case_id = case.id
    await ctx.audit("case.link", f"case:{case.id}", to=target.reference)
    ctx.reply(ctx._("{case} is linked to {reference}.", case=case.reference, reference=target.reference))


async def _start_from_case(ctx: Context, case: Case, kind: str) -> None:
    """A draft appeal or letter; the report's text is copied only when the reporter allowed the network."""
    shareable = case.consent == "network"
    threat = ctx._(THREATS.get(case.threat_type or "other", N_("Other")))
    title = f"{threat} — {case.country or ''}".strip(" —")
    story = case.what_happened or ""
    if case.names_publishable and case.at_risk:
        story = f"{case.at_risk.split(' — ', 1)[-1]}: {story}"
    if kind == "appeal":
        appeals = AppealRepository(ctx.store.session)
        draft = await appeals.create(ctx.person.id)
        draft.case_id = case.id
        await appeals.set_text(draft.id, ctx.locale, title, story if shareable else "—", "—")
        reference = draft.reference
    else:
        letters = LetterRepository(ctx.store.session)
        letter = await letters.create(ctx.person.id, "—")
        letter.case_id = case.id
        await letters.set_text(letter.id, ctx.locale, story if shareable else "—")
        reference = letter.reference
    await ctx.audit(f"case.{kind}", f"case:{case.id}", draft=reference, copied=shareable)
    if shareable:
        ctx.reply(ctx._("{reference} drafted from {case} with the report's text. Review it before sending.",
                        reference=reference, case=case.reference))  # fmt: skip
    else:
        ctx.reply(ctx._("{reference} drafted for {case}. The reporter did not allow sharing beyond the secretariat: "
                        "nothing from the report was copied.", reference=reference, case=case.reference))  # fmt: skip


@router.action("case-open", roles=SECRETARIAT)
async def open_case(ctx: Context, event: Event) -> None:
    """The Open button of a triage alert."""
    case = await ctx.store.session.get(Case, int(ctx.answer)) if ctx.answer.isdigit() else None
    if case is None:
        ctx.notice(ctx._("This button has expired."))
        return
    if await _allowed_here(ctx):
        await _show(ctx, case)


async def _show(ctx: Context, case: Case) -> None:
    await ctx.audit("case.read", f"case:{case.id}")
    lines = [
        ctx._("{reference} ({status})", reference=case.reference, status=ctx._(STATUS_LABELS[case.status])),
        ctx._("At risk: {value}", value=case.at_risk or "—"),
        ctx._("Country and place: {country}, {place}", country=case.country or "—", place=case.place or "—"),
        ctx._("Threat: {value}", value=ctx._(THREATS.get(case.threat_type or "other", N_("Other")))),
        ctx._("What happened: {text}", text=case.what_happened or "—"),
        ctx._("When: {value}", value=case.when_happened or "—"),
        ctx._("Urgency: {value}", value=ctx._(URGENCY.get(case.urgency or "ongoing", N_("Ongoing")))),
        ctx._(
            "Support asked: {value}",
            value=", ".join(ctx._(SUPPORT[s]) for s in case.support_requested or []) or "—",
        ),
        ctx._("Contact: {value}", value=case.contact or ctx._("Only in this chat")),
        ctx._("Who may see it: {value}", value=ctx._(CONSENT.get(case.consent, N_("The secretariat only")))),
    ]
    for entry in await CaseRepository(ctx.store.session).timeline(case):
        if entry.body:
            lines.append(f"{ctx.t.format_datetime(entry.created_at, 'short')} [{entry.kind}] {entry.body}")
    ctx.reply("\n".join(lines))


@router.command("status", roles=SECRETARIAT, summary=N_("change a case's status: STATUS reference status"))
async def status(ctx: Context, event: Event) -> None:
    """Set a case's status and tell the reporter, in their language."""
    if not await _allowed_here(ctx):
        return
    words = ctx.answer.split()
    if len(words) != 2 or words[1].lower() not in STATUSES:
        ctx.reply(ctx._("Usage: STATUS reference status ({statuses}).", statuses=", ".join(STATUSES)))
        return
    case = await _case(ctx, words[0])
    if case is None:
        return
    old, case.status = case.status, words[1].lower()
    case.closed_at = utcnow() if case.status == "closed" else None
    await CaseRepository(ctx.store.session).add_event(case, "status", ctx.person.id, None)
    await ctx.audit("case.status", f"case:{case.id}", old=old, new=case.status)
    await _tell_reporter(
        ctx, case, lambda lang: translator(lang).gettext(
            "Your report {reference} is now: {status}.",
            reference=case.reference,
            status=translator(lang).gettext(STATUS_LABELS[case.status]),
        )
    )  # fmt: skip
    ctx.reply(
        ctx._(
            "{reference} is now: {status}.",
            reference=case.reference,
            status=ctx._(STATUS_LABELS[case.status]),
        )
    )


@router.command("assign", roles=SECRETARIAT, summary=N_("assign a case: ASSIGN reference number"))
async def assign(ctx: Context, event: Event) -> None:
    """Give a case to a secretariat member."""
    if not await _allowed_here(ctx):
        return
    words = ctx.answer.split()
    case = await _case(ctx, words[0] if words else "")
    if case is None:
        return
    person = (
        await ctx.store.persons.get(int(words[1].lstrip("#")))
        if len(words) == 2 and words[1].lstrip("#").isdigit()
        else None
    )
    if person is None or person.role.value != "secretariat":
        ctx.reply(ctx._("Cases are assigned to secretariat members: type PEOPLE to see their numbers."))
        return
    case.assignee_id = person.id
    await ctx.audit("case.assign", f"case:{case.id}", assignee=person.id)
    ctx.reply(ctx._("{reference} is assigned to #{id}.", reference=case.reference, id=person.id))


@router.command("note", roles=SECRETARIAT, summary=N_("add a note to a case: NOTE reference text"))
async def note(ctx: Context, event: Event) -> None:
    """An internal note on the case timeline (encrypted)."""
    if not await _allowed_here(ctx):
        return
    reference, _, text = ctx.answer.strip().partition(" ")
    case = await _case(ctx, reference)
    if case is None or not text.strip():
        if case is not None:
            ctx.reply(ctx._("Usage: NOTE reference text."))
        return
    await CaseRepository(ctx.store.session).add_event(case, "note", ctx.person.id, text.strip())
    await ctx.audit("case.note", f"case:{case.id}")
    ctx.reply(ctx._("Note added to {reference}.", reference=case.reference))


@router.command("reply", roles=SECRETARIAT, summary=N_("write to a case's reporter: REPLY reference text"))
async def reply(ctx: Context, event: Event) -> None:
    """Relay a message to the reporter, labelled by the case only."""
    if not await _allowed_here(ctx):
        return
    reference, _, text = ctx.answer.strip().partition(" ")
    case = await _case(ctx, reference)
    if case is None or not text.strip():
        if case is not None:
            ctx.reply(ctx._("Usage: REPLY reference text."))
        return
    await CaseRepository(ctx.store.session).add_event(case, "to_reporter", ctx.person.id, text.strip())
    await ctx.audit("case.reply", f"case:{case.id}")
    sent = await _tell_reporter(
        ctx,
        case,
        lambda lang: translator(lang).gettext(
            "Message from the secretariat about {reference}:\n{text}",
            reference=case.reference,
            text=text.strip(),
        ),
        answerable=True,
    )
    if sent:
        ctx.reply(ctx._("Sent to the reporter of {reference}.", reference=case.reference))
    else:
        ctx.reply(ctx._("The reporter of {reference} can no longer be reached.", reference=case.reference))


async def _tell_reporter(ctx: Context, case: Case, text_for: object, answerable: bool = False) -> bool:
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
    assert callable(text_for)
    events = await CaseRepository(ctx.store.session).timeline(case)
    await ctx.fan_out(
        f"case:{case.id}:reporter",
        target,
        text_for(language),
        buttons,
        priority=URGENT,
        revision=len(events),
    )
    return True


# The reporter's side ------------------------------------------------------------------------------------


@router.command("mycases", summary=N_("your reports and their status"), private_only=True)
async def mycases(ctx: Context, event: Event) -> None:
    """A reporter's own cases, each with a button to add information."""
    found = await CaseRepository(ctx.store.session).of_reporter(ctx.person.id)
    if not found:
        ctx.reply(ctx._("You have not reported anything."))
        return
    lines = [ctx.ngettext("{n} report:", "{n} reports:", len(found))]
    lines += [" — ".join((c.reference, ctx._(STATUS_LABELS[c.status]))) for c in found]
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
    await ctx.start_flow("relay", "text", case=case.id)
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
