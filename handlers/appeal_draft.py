"""Drafting an urgent appeal in a private chat (title, what happened, what to do, deadline, in the author's
language or the one chosen with a button), and re-entering a translation, one field or the deadline later."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import LANGUAGES
from bot.core.commands import pgettext
from bot.core.context import Context
from bot.core.events import ActionEvent, Button, Event
from bot.core.i18n import LANGUAGE_NAMES, N_
from bot.core.router import SECRETARIAT, Fields, Router, next_steps, typed
from handlers import appeal_after, appeal_send
from handlers.appeal_common import FINAL_STATES, LINK_ACTION, SENT_STATES, repo
from handlers.appeal_render import status_label
from handlers.labels import language_list, parse_language
from storage.models import Appeal, utcnow

router = Router()
draft = router.flow("appeal", roles=SECRETARIAT)
FIELDS = ("title", "what", "todo")
# The words naming them after ``APPEAL translate|update REF language`` (and ``APPEAL update REF deadline``).
TYPED = Fields(pgettext("field", "title"), pgettext("field", "what"), pgettext("field", "todo"),
               pgettext("field", "deadline"))  # fmt: skip
LIMITS = {"title": 200, "what": 2000, "todo": 1200}  # together well below one platform message
QUESTIONS = {"title": N_("Title?"), "what": N_("What happened?"), "todo": N_("What should members do?")}
NO_DEADLINE = {"", "-", "—", "none", "no"}
DEADLINE = re.compile(
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[ t,]+(?P<H>\d{1,2})(?:[:.h](?P<M>\d{2})?|h)?)?"
)


def _language_buttons(ctx: Context, chosen: str) -> list[list[Button]]:
    return [
        [
            ctx.flow_button(("✓ " if lang == chosen else "") + LANGUAGE_NAMES[lang], f"lang:{lang}")
            for lang in LANGUAGES
        ]
    ]


async def new(ctx: Context, args: list[str]) -> None:
    """``appeal new [language]``: the drafting conversation, in a private chat; language buttons on top."""
    if not ctx.chat.is_private:
        ctx.reply(ctx._("Please write to me in a private chat for this."))
        return
    language = (parse_language(args[0]) if args else None) or ctx.locale
    await ctx.start_flow("appeal", "title", mode="new", language=language, fields=list(FIELDS))
    ctx.reply(ctx._("New urgent appeal. Title? (or CANCEL)"), _language_buttons(ctx, language))


async def _edit_text(ctx: Context, found: Appeal, args: list[str], mode: str) -> None:
    """Start re-entering the text in one language: all three fields, or the one named."""
    if not ctx.chat.is_private:
        ctx.reply(ctx._("Please write to me in a private chat for this."))
        return
    if found.status in FINAL_STATES:
        ctx.reply(
            ctx._(
                "{reference} is {status}: it can no longer be changed.",
                reference=found.reference,
                status=status_label(ctx.t, found.status),
            )
        )
        return
    if mode == "update" and _deadline_only(args):
        await ctx.start_flow("appeal", "deadline", mode=mode, reference=found.reference, language="")
        ctx.reply(ctx._("Deadline? Type a date as YYYY-MM-DD or YYYY-MM-DD HH:MM (your time), or - for none."),
                  [[ctx.flow_button(ctx._("No deadline"), "none")]])  # fmt: skip
        return
    language = parse_language(args[0]) if args else None
    if language is None:
        ctx.reply(
            ctx._("Unknown language. Choose one of: {choices}.", choices=language_list(ctx.t, LANGUAGES))
        )
        return
    named = _named_fields(args[1:])
    fields = [f for f in FIELDS if f in named] or list(FIELDS)
    existing = (await repo(ctx).texts(found.id)).get(language)
    if existing is None:
        fields = list(FIELDS)  # a new language needs the whole text
    await ctx.start_flow("appeal", fields[0], mode=mode, language=language, reference=found.reference,
                         fields=fields)  # fmt: skip
    if fields == list(FIELDS):
        ctx.reply(
            ctx._(
                "{reference} in {language}. Title? (or CANCEL)",
                reference=found.reference,
                language=ctx.t.language_name(language),
            )
        )
        return
    await _ask(ctx, fields[0], found.reference, language, _current(existing, fields[0]))


def _deadline_only(args: list[str]) -> bool:
    """``APPEAL update REF deadline`` (the field named in any of the five languages)."""
    matched = TYPED.match(args)
    return matched is not None and matched[0] == "deadline"


def _named_fields(words: list[str]) -> set[str]:
    """The text fields named in ``words`` (``title todo``, ``título acciones``); other words are skipped."""
    named: set[str] = set()
    while words:
        matched = TYPED.match(words)
        if matched is None:
            words = words[1:]
            continue
        named.add(matched[0])
        words = matched[1]
    return named


def _current(existing: object, field: str) -> str:
    names = {"title": "title", "what": "what_happened", "todo": "what_to_do"}
    return str(getattr(existing, names[field], "") or "")


async def _ask(ctx: Context, field: str, reference: str, language: str, current: str = "") -> None:
    question = ctx._(QUESTIONS[field])
    if reference:
        question = ctx._(
            "{reference} in {language}. {question} (or CANCEL)",
            reference=reference,
            language=ctx.t.language_name(language),
            question=question,
        )
    if current:
        question += "\n" + ctx._("Now: {text}", text=current)
    ctx.reply(question)


async def _field(ctx: Context, event: Event, field: str) -> None:
    assert ctx.conversation is not None
    data = ctx.conversation.data
    if isinstance(event, ActionEvent):
        if field == "title" and data["mode"] == "new" and ctx.answer.startswith("lang:"):
            language = ctx.answer.removeprefix("lang:")
            language = language if language in LANGUAGES else data["language"]
            await ctx.goto("title", language=language)
            ctx.reply(
                ctx._(
                    "This text is in {language}. Title? (or CANCEL)", language=ctx.t.language_name(language)
                ),
                _language_buttons(ctx, language),
            )
        else:
            ctx.notice(ctx._("This button has expired."))
        return
    text = ctx.answer.strip()
    if len(text) > LIMITS[field]:
        ctx.reply(
            ctx._(
                "Please keep it under {limit} characters (this has {length}).",
                limit=LIMITS[field],
                length=len(text),
            )
        )
        return
    if not text:
        await _ask(ctx, field, "", data["language"])
        return
    remaining = [f for f in data["fields"] if f != field]
    if remaining:
        await ctx.goto(remaining[0], fields=remaining, **{field: text})
        await _ask(ctx, remaining[0], "", data["language"])
        return
    if data["mode"] == "new":
        await ctx.goto("deadline", fields=[], **{field: text})
        ctx.reply(
            ctx._("Deadline? Type a date as YYYY-MM-DD or YYYY-MM-DD HH:MM (your time), or - for none."),
            [[ctx.flow_button(ctx._("No deadline"), "none")]],
        )
        return
    await ctx.goto(field, fields=[], **{field: text})
    await _save_text(ctx)


@draft.step("title")
async def _title(ctx: Context, event: Event) -> None:
    await _field(ctx, event, "title")


@draft.step("what")
async def _what(ctx: Context, event: Event) -> None:
    await _field(ctx, event, "what")


@draft.step("todo")
async def _todo(ctx: Context, event: Event) -> None:
    await _field(ctx, event, "todo")


def parse_deadline(text: str, zone: str | None, none_words: set[str] = NO_DEADLINE) -> datetime | None:
    """A deadline typed leniently: ``2026-12-01``, ``2026/12/1 18:00``, ``2026-12-01 18h``, in ``zone``.

    A date alone means the end of that day. Returns None for "no deadline".

    Raises:
        ValueError: when the text is not a date.
    """
    text = text.strip().casefold()
    if text in none_words:
        return None
    match = DEADLINE.fullmatch(text)
    if match is None:
        raise ValueError("not a date")
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    hour, minute = (int(match["H"]), int(match["M"] or 0)) if match["H"] else (23, 59)
    return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, tzinfo=tz)


@draft.step("deadline")
async def _deadline(ctx: Context, event: Event) -> None:
    assert ctx.conversation is not None
    if isinstance(event, ActionEvent) and ctx.answer != "none":
        ctx.notice(ctx._("This button has expired."))
        return
    none_words = NO_DEADLINE | {ctx.t.pgettext("deadline", pgettext("deadline", "none")).casefold()}
    try:
        deadline = parse_deadline(ctx.answer, ctx.person.timezone, none_words)
    except ValueError:
        ctx.reply(ctx._("I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."))
        return
    if deadline is not None and deadline <= utcnow():
        ctx.reply(ctx._("That date has passed. Type a date to come, or - for none."))
        return
    data = dict(ctx.conversation.data)
    if data["mode"] != "new":
        found = await repo(ctx).by_reference(data["reference"], lock=True)
        await ctx.end_flow()
        if _gone(ctx, found, data["reference"]):
            return
        assert found is not None
        found.deadline = deadline
        await _after_change(ctx, found, None)
        return
    await ctx.end_flow()
    await create(ctx, data["language"], data["title"], data["what"], data["todo"], deadline)


async def create(
    ctx: Context, language: str, title: str, what: str, todo: str, deadline: datetime | None = None
) -> Appeal:
    """A new draft with its first text (the chat's drafting conversation and the dashboard end here)."""
    found = await repo(ctx).create(ctx.person.id)
    found.deadline = deadline
    await repo(ctx).set_text(found.id, language, title, what, todo)
    await ctx.audit("appeal.new", f"appeal:{found.id}", language=language)
    ctx.reply(
        ctx._(
            "{reference} saved ({language}). Next: {translate}, {target}, {preview}, then {send}.",
            reference=found.reference,
            language=ctx.t.language_name(language),
            **next_steps(ctx.t, "appeal", "translate", "target", "preview", "send"),
        ),
        [
            [
                Button(ctx._("Link a case or letter"), LINK_ACTION, str(found.id)),
                Button(ctx._("Preview"), appeal_send.PREVIEW_ACTION, str(found.id)),
            ]
        ],
    )
    return found


async def _save_text(ctx: Context) -> None:
    """Save a translation or an updated text; a sent appeal's copies are then edited everywhere."""
    assert ctx.conversation is not None
    data = dict(ctx.conversation.data)
    await ctx.end_flow()
    found = await repo(ctx).by_reference(data["reference"], lock=True)
    if _gone(ctx, found, data["reference"]):
        return
    assert found is not None
    await save_text(ctx, found, data["language"], data.get("title", ""), data.get("what", ""),
                    data.get("todo", ""))  # fmt: skip


async def save_text(ctx: Context, found: Appeal, language: str, title: str, what: str, todo: str) -> bool:
    """Add or replace the text in ``language`` (``APPEAL translate`` / ``update`` and the dashboard end here).

    A field left empty keeps the existing text's; a new language needs all three. A sent appeal's copies
    are then edited everywhere (under the two-person rule, held for approval).

    Returns:
        False (and said why) when nothing was saved.
    """
    if _gone(ctx, found, found.reference):
        return False
    values = {"title": title.strip(), "what": what.strip(), "todo": todo.strip()}
    for field, text in values.items():
        if len(text) > LIMITS[field]:
            ctx.reply(ctx._("Please keep it under {limit} characters (this has {length}).",
                            limit=LIMITS[field], length=len(text)))  # fmt: skip
            return False
    existing = (await repo(ctx).texts(found.id)).get(language)
    merged = [values[f] or _current(existing, f) for f in FIELDS]
    missing = [f for f, text in zip(FIELDS, merged, strict=True) if not text]
    if missing:
        ctx.reply(ctx._("The text in {language} needs a title, what happened and what to do.",
                        language=ctx.t.language_name(language)))  # fmt: skip
        return False
    await repo(ctx).set_text(found.id, language, *merged)
    await _after_change(ctx, found, language)
    return True


def _gone(ctx: Context, found: Appeal | None, reference: str) -> bool:
    """True (and said) when the appeal vanished or was retracted or closed while its text was being typed."""
    if found is None:
        ctx.reply(ctx._("No appeal has the reference {reference}.", reference=reference))
        return True
    if found.status in FINAL_STATES:
        ctx.reply(
            ctx._(
                "{reference} is {status}: it can no longer be changed.",
                reference=found.reference,
                status=status_label(ctx.t, found.status),
            )
        )
        return True
    return False


async def _after_change(ctx: Context, found: Appeal, language: str | None) -> None:
    """A text (``language``) or the deadline (None) changed: edit the copies, or keep the draft."""
    if found.status in SENT_STATES:
        await appeal_after.push_update(ctx, found)  # audited there, with the revision and the copies
        return
    await ctx.audit("appeal.translate", f"appeal:{found.id}", changed=language or "deadline")
    if language is None:
        ctx.reply(ctx._("{reference}: the deadline is saved.", reference=found.reference))
    else:
        ctx.reply(
            ctx._(
                "{reference} saved ({language}). Next: {translate}, {target}, {preview}, then {send}.",
                reference=found.reference,
                language=ctx.t.language_name(language),
                **next_steps(ctx.t, "appeal", "translate", "target", "preview", "send"),
            )
        )
    await appeal_send.reopen(ctx, found)


async def translate(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal translate REF language [title|what|todo]``: add or replace a text (a sent appeal is updated)."""
    await _edit_text(ctx, found, args, "translate")


async def update(ctx: Context, found: Appeal, args: list[str]) -> None:
    """``appeal update REF language [title|what|todo]`` or ``appeal update REF deadline``."""
    deadline_only = _deadline_only(args)  # a draft's deadline may change too; its text via translate
    if found.status not in SENT_STATES and found.status not in FINAL_STATES and not deadline_only:
        ctx.reply(
            ctx._(
                "{reference} has not been sent: use {translate} to change it.",
                reference=found.reference,
                translate=typed(ctx.t, "appeal", "translate", found.reference),
            )
        )
        return
    await _edit_text(ctx, found, args, "update")
