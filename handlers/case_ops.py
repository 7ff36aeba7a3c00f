"""What the secretariat does to a case, written once for the chat commands and the dashboard's case pages.

Each operation takes the acting member's :class:`~bot.core.context.Context` (a chat's, or the dashboard's whose
chat is the browser) and the case; it writes the timeline, audits, tells the reporter or the assignee through
the outbox, and answers the member with ``ctx.reply`` (a chat message, or a notice on the next web page).
Drafting an appeal or a letter from a case, under the reporter's consent, is :mod:`handlers.case_drafts`.
"""

from __future__ import annotations

from bot.core import revisions
from bot.core.context import Context
from bot.core.events import Button
from bot.core.i18n import translator
from handlers.case_relay import tell_reporter
from handlers.case_view import STATUS_LABELS, member_name, status_label
from storage.cases import STATUSES, CaseRepository
from storage.models import Case, Person, Role, utcnow
from storage.outbox import NORMAL
from storage.targeting import private_target


async def find(ctx: Context, reference: str) -> Case | None:
    """The case with ``reference``; None (and the member told so) when there is none."""
    case = await CaseRepository(ctx.store.session).by_reference(reference) if reference else None
    if case is None:
        ctx.reply(ctx._("No case has the reference {reference}.", reference=reference.upper() or "—"))
    return case


async def read(ctx: Context, case: Case) -> None:
    """Record that the member read the case's details (every read of a case is audited)."""
    await ctx.audit("case.read", f"case:{case.id}")


async def set_status(ctx: Context, case: Case, new: str) -> bool:
    """Set the case's status: on the timeline, audited, and the reporter told in their language.

    Returns:
        False when ``new`` is not a status (nothing changes).
    """
    if new not in STATUSES:
        return False
    old, case.status = case.status, new
    case.closed_at = utcnow() if case.status == "closed" else None
    await CaseRepository(ctx.store.session).add_event(case, "status", ctx.person.id, case.status)
    await ctx.audit("case.status", f"case:{case.id}", old=old, new=case.status)
    await tell_reporter(
        ctx, case, lambda lang: translator(lang).gettext(
            "Your report {reference} is now: {status}.",
            reference=case.reference,
            status=translator(lang).gettext(STATUS_LABELS[case.status]),
        )
    )  # fmt: skip
    ctx.reply(
        ctx._("{reference} is now: {status}.", reference=case.reference, status=status_label(ctx.t, new))
    )
    return True


async def assignable(ctx: Context, person_id: int) -> Person | None:
    """The secretariat member a case may be given to (None for anyone else, or someone erased)."""
    person = await ctx.store.persons.get(person_id)
    if person is None or person.role != Role.SECRETARIAT or person.erased_at is not None:
        return None
    return person


async def assign(ctx: Context, case: Case, person_id: int) -> bool:
    """Give the case to a secretariat member: on the timeline, audited, and the member told privately.

    Returns:
        False when ``person_id`` is not a secretariat member (the member is told how to find one).
    """
    person = await assignable(ctx, person_id)
    if person is None:
        ctx.reply(ctx._("Cases are assigned to secretariat members: type PEOPLE to see their numbers."))
        return False
    case.assignee_id = person.id
    cases = CaseRepository(ctx.store.session)
    await cases.add_event(case, "assign", ctx.person.id, str(person.id))
    await ctx.audit("case.assign", f"case:{case.id}", assignee=person.id)
    ctx.reply(ctx._("{reference} is assigned to {assignee}.", reference=case.reference,
                    assignee=member_name(ctx.t, person)))  # fmt: skip
    if person.id == ctx.person.id:
        return True
    target = await private_target(ctx.store.session, person.id, ctx.settings.default_language)
    if target is None:
        return True
    t = translator(target.language)
    await ctx.fan_out(
        f"case:{case.id}:assigned",
        target,
        t.gettext(
            "{author} assigned {reference} to you. Type CASE {reference} to read it.",
            author=member_name(t, ctx.person),
            reference=case.reference,
        ),
        [[Button(t.gettext("Open"), "case-open", str(case.id))]],
        priority=NORMAL,
        revision=revisions.per_fact(len(await cases.timeline_ids(case.id))),
    )
    return True


async def add_note(ctx: Context, case: Case, text: str) -> bool:
    """An internal note on the case's timeline (encrypted), audited; False when ``text`` is empty."""
    if not text.strip():
        return False
    await CaseRepository(ctx.store.session).add_event(case, "note", ctx.person.id, text.strip())
    await ctx.audit("case.note", f"case:{case.id}")
    ctx.reply(ctx._("Note added to {reference}.", reference=case.reference))
    return True


async def reply_to_reporter(ctx: Context, case: Case, text: str) -> bool:
    """Relay ``text`` to the reporter, labelled by the case only, with an Answer button; on the timeline.

    Returns:
        False when ``text`` is empty (nothing happens).
    """
    if not text.strip():
        return False
    await CaseRepository(ctx.store.session).add_event(case, "to_reporter", ctx.person.id, text.strip())
    await ctx.audit("case.reply", f"case:{case.id}")
    sent = await tell_reporter(
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
    return True
