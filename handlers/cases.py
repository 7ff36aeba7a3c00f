"""Cases after the report: the secretariat's triage commands (lists, the case view, status, assignment,
notes and replies to the reporter).

Secretariat commands work only in a private chat or the triage channel. A case's details never go to a
group: ``CASE REF`` and the Open button answer the asking member privately, and the group gets a short note.
Reading a case is audited; status changes and assignments go on the case's timeline. What a command does to
a case is :mod:`handlers.case_ops`, which the dashboard's case pages call too.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.commands import pgettext
from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router, UsageError
from handlers import case_drafts, case_ops, case_relay
from handlers.case_view import STATUS_LABELS, full_view, list_line, status_label
from handlers.countries import country_name, search
from handlers.labels import join, parse_value
from handlers.privately import answer_privately
from handlers.report_steps import URGENCY
from storage.cases import PAGE, STATUSES, URGENCIES, CaseRepository
from storage.models import Case, Channel, ChannelKind

router = Router().include(case_relay.router)
MORE_ACTION = "cases-more"


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
    return await case_ops.find(ctx, reference)


FILTER_WORDS = {"mine": pgettext("case filter", "mine"), "urgent": pgettext("case filter", "urgent")}
PAGE_WORD = {"page": pgettext("case filter", "page")}


async def _filter_key(ctx: Context, word: str) -> str:
    """The filter typed in any of the five languages, as folded as command words (``míos``, ``mios``,
    «عاجله», ``danger immediat``, ``Brésil``), as the key the repository reads; else the word itself."""
    key = (
        parse_value(word, FILTER_WORDS, "case filter")
        or parse_value(word, {k: STATUS_LABELS[k] for k in STATUSES})
        or parse_value(word, {k: URGENCY[k] for k in URGENCIES})
    )
    if key is not None:
        return key
    country = search(word).found if word else None
    return country if country in await CaseRepository(ctx.store.session).countries() else word


def _split_page(words: list[str]) -> tuple[str, int]:
    """``urgent page 2`` → (``urgent``, 2); a trailing number alone is a page too."""
    page = 1
    if words and words[-1].isdigit():
        page = max(int(words.pop()), 1)
        if words and parse_value(words[-1], PAGE_WORD, "case filter"):
            words.pop()
    return " ".join(words), page


@router.command(
    "cases", roles=SECRETARIAT, summary=N_("open cases: CASES [mine, status, urgency or country] [page N]")
)
async def cases(ctx: Context, event: Event) -> None:
    """List open cases, most urgent then oldest first, a page at a time, optionally filtered."""
    if not await _allowed_here(ctx):
        return
    word, page = _split_page(ctx.answer.split())
    await _list(ctx, word, page)


@router.action(MORE_ACTION, roles=SECRETARIAT)
async def more(ctx: Context, event: Event) -> None:
    """The More button under a list: the next page of the same filter."""
    page, _, word = ctx.answer.partition(":")
    if await _allowed_here(ctx):
        await _list(ctx, word, int(page) if page.isdigit() else 1)


async def _list(ctx: Context, word: str, page: int) -> None:
    repository = CaseRepository(ctx.store.session)
    key = await _filter_key(ctx, word)
    spec = await repository.parse_filter(key, ctx.person.id)
    if spec is None:
        await _unknown_filter(ctx, word)
        return
    found, total = await repository.listing(spec, page)
    pages = max((total + PAGE - 1) // PAGE, 1)
    if not found:
        ctx.reply(ctx._("No case matches.") if page == 1 else ctx._("There is no page {page}.", page=page))
        return
    lines = [ctx.ngettext("{n} case, page {page} of {pages}:", "{n} cases, page {page} of {pages}:", total,
                          page=page, pages=pages)]  # fmt: skip
    lines += [await list_line(ctx, case) for case in found]
    buttons: list[list[Button]] = []
    if page < pages:
        if word:
            lines.append(ctx._("More: type CASES {filter} page {page}.", filter=word, page=page + 1))
        else:
            lines.append(ctx._("More: type CASES page {page}.", page=page + 1))
        payload = f"{page + 1}:{word}"
        if len(f"{MORE_ACTION}:{payload}".encode()) <= 64:
            buttons = [[Button(ctx._("More"), MORE_ACTION, payload)]]
    ctx.reply("\n".join(lines), buttons)


async def _unknown_filter(ctx: Context, word: str) -> None:
    countries = await CaseRepository(ctx.store.session).countries()
    ctx.reply(
        ctx._(
            "There is no filter “{word}”. Use {mine}; a status: {statuses}; an urgency: {urgent}, {urgencies}; "
            "or a country with cases: {countries}.",
            word=word,
            mine=ctx.t.pgettext("case filter", "mine"),
            statuses=join(ctx.t, (status_label(ctx.t, s) for s in STATUSES)),
            urgent=ctx.t.pgettext("case filter", "urgent"),
            urgencies=join(ctx.t, (ctx._(URGENCY[u]) for u in URGENCIES)),
            countries=join(ctx.t, (country_name(c, ctx.locale) for c in countries)),
        )
    )


case_group = router.group(
    "case",
    roles=SECRETARIAT,
    where=_allowed_here,
    summary=N_("read a case: CASE reference"),
    subject_first=True,
    subject=N_("reference"),
)


@case_group.otherwise
async def case_(ctx: Context, args: list[str]) -> None:
    """``case REF`` shows a case privately (audited as a read)."""
    if len(args) != 1:
        ctx.reply(case_group.usage(ctx.t))
        return
    case = await _case(ctx, args[0])
    if case is not None:
        await _show(ctx, case)


@case_group.sub("link", usage=N_("appeal or letter reference"))
async def link(ctx: Context, args: list[str]) -> None:
    """``case REF link UA-…|CL-…``: ties the case to an appeal or a letter."""
    if len(args) != 2:
        raise UsageError
    case = await _case(ctx, args[0])
    if case is not None:
        await case_drafts.link(ctx, case, args[1])


@case_group.sub("appeal")
async def appeal(ctx: Context, args: list[str]) -> None:
    """``case REF appeal``: a draft appeal pre-filled as the reporter's consent allows."""
    case = await _case(ctx, args[0])
    if case is not None:
        await case_drafts.start_from_case(ctx, case, "appeal")


@case_group.sub("letter")
async def letter(ctx: Context, args: list[str]) -> None:
    """``case REF letter``: a draft collective letter pre-filled as the reporter's consent allows."""
    case = await _case(ctx, args[0])
    if case is not None:
        await case_drafts.start_from_case(ctx, case, "letter")


@router.action("case-open", roles=SECRETARIAT)
async def open_case(ctx: Context, event: Event) -> None:
    """The Open button of a triage alert: the case goes to the presser's private chat."""
    case = await ctx.store.session.get(Case, int(ctx.answer)) if ctx.answer.isdigit() else None
    if case is None:
        ctx.notice(ctx._("This button has expired."))
        return
    if await _allowed_here(ctx):
        await _show(ctx, case)


async def _show(ctx: Context, case: Case) -> None:
    if not await answer_privately(ctx):
        return
    await case_ops.read(ctx, case)
    ctx.reply(await full_view(ctx, case))


@router.command("status", roles=SECRETARIAT, summary=N_("change a case's status: STATUS reference status"))
async def status(ctx: Context, event: Event) -> None:
    """Set a case's status (on the timeline) and tell the reporter, in their language."""
    if not await _allowed_here(ctx):
        return
    words = ctx.answer.split()
    new = parse_value(" ".join(words[1:]), {key: STATUS_LABELS[key] for key in STATUSES}) or ""
    if len(words) < 2 or new not in STATUSES:
        statuses = join(ctx.t, (status_label(ctx.t, s) for s in STATUSES))
        ctx.reply(ctx._("Usage: STATUS reference status ({statuses}).", statuses=statuses))
        return
    case = await _case(ctx, words[0])
    if case is not None:
        await case_ops.set_status(ctx, case, new)


@router.command("assign", roles=SECRETARIAT, summary=N_("assign a case: ASSIGN reference number"))
async def assign(ctx: Context, event: Event) -> None:
    """Give a case to a secretariat member: on the timeline, and the member is told privately."""
    if not await _allowed_here(ctx):
        return
    words = ctx.answer.split()
    case = await _case(ctx, words[0] if words else "")
    if case is None:
        return
    number = words[1].lstrip("#") if len(words) == 2 else ""
    if not number.isdigit():
        ctx.reply(ctx._("Cases are assigned to secretariat members: type PEOPLE to see their numbers."))
        return
    await case_ops.assign(ctx, case, int(number))


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
    await case_ops.add_note(ctx, case, text)


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
    await case_ops.reply_to_reporter(ctx, case, text)
