"""Drafting a collective letter in a private chat (addressee, text in the author's language, deadline in the
author's timezone, who signs), then translations, the target, and changes to the addressee, a text or the
deadline until the letter closes.

A change to a published letter edits every copy; only the signers whose own text (or the addressee)
changed are told, with the letter as they now read it.
"""

from __future__ import annotations

from datetime import datetime

from bot.core import revisions
from bot.core.commands import pgettext
from bot.core.context import Context
from bot.core.events import ActionEvent, Event
from bot.core.i18n import translator
from bot.core.router import SECRETARIAT, Fields, Router, UsageError, next_steps
from handlers.appeal_draft import NO_DEADLINE, parse_deadline
from handlers.labels import parse_language, parse_target, target_label
from handlers.letter_common import closed, queue_counts, reopen, repo
from handlers.letter_render import MODES, body_for
from storage.models import Letter, utcnow
from storage.targeting import private_target

router = Router()
draft = router.flow("letter", roles=SECRETARIAT)
ADDRESSEE_LIMIT = 300
BODY_LIMIT = 3500  # with the heading, deadline and count, still below one Telegram message (4,096)
LATER = {"-", "—"}  # "not decided yet": the draft is saved, publishing asks for it
FIELDS = Fields(pgettext("field", "addressee"), pgettext("field", "text"), pgettext("field", "deadline"))


async def new(ctx: Context, args: list[str]) -> None:
    """``letter new``: the drafting conversation, in a private chat."""
    if not ctx.chat.is_private:
        ctx.reply(ctx._("Please write to me in a private chat for this."))
        return
    await ctx.start_flow("letter", "addressee", language=ctx.locale)
    ctx.reply(ctx._("New collective letter. To whom is it addressed? (- if not decided yet, or CANCEL)"))


def _too_long(ctx: Context, text: str, limit: int) -> bool:
    if len(text) <= limit:
        return False
    ctx.reply(ctx._("Please keep it under {limit} characters (this has {length}).", limit=limit, length=len(text)))  # fmt: skip
    return True


def _value(text: str) -> str:
    """What was typed, with "-" meaning nothing yet."""
    return "" if text.strip() in LATER else text.strip()


@draft.step("addressee")
async def _addressee(ctx: Context, event: Event) -> None:
    addressee = " ".join(_value(ctx.answer).split())
    if _too_long(ctx, addressee, ADDRESSEE_LIMIT):
        return
    await ctx.goto("body", addressee=addressee)
    ctx.reply(ctx._("The text of the letter? (- to write it later)"))


@draft.step("body")
async def _body(ctx: Context, event: Event) -> None:
    body = _value(ctx.answer)
    if _too_long(ctx, body, BODY_LIMIT):
        return
    await ctx.goto("deadline", body=body)
    ctx.reply(
        ctx._("Deadline? Type a date as YYYY-MM-DD or YYYY-MM-DD HH:MM (your time), or - for none."),
        [[ctx.flow_button(ctx._("No deadline"), "none")]],
    )


def read_deadline(ctx: Context, text: str) -> tuple[bool, datetime | None]:
    """(understood, deadline or None), read as leniently as an appeal's; answers when unreadable or past."""
    none_words = NO_DEADLINE | {ctx.t.pgettext("deadline", pgettext("deadline", "none")).casefold()}
    try:
        deadline = parse_deadline(text, ctx.person.timezone, none_words)
    except ValueError:
        ctx.reply(ctx._("I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."))
        return False, None
    if deadline is not None and deadline <= utcnow():
        ctx.reply(ctx._("That date has passed. Type a date to come, or - for none."))
        return False, None
    return True, deadline


@draft.step("deadline")
async def _deadline(ctx: Context, event: Event) -> None:
    if isinstance(event, ActionEvent) and ctx.answer != "none":
        ctx.notice(ctx._("This button has expired."))
        return
    understood, deadline = read_deadline(ctx, ctx.answer)
    if not understood:
        return
    await ctx.goto("mode", deadline=deadline.isoformat() if deadline else None)
    ctx.reply(ctx._("Who signs?"), [[ctx.flow_button(ctx._(label), key) for key, label in MODES.items()]])


@draft.step("mode")
async def _mode(ctx: Context, event: Event) -> None:
    assert ctx.conversation is not None
    if ctx.answer not in MODES:
        ctx.reply(ctx._("Please use the buttons above."))
        return
    data = dict(ctx.conversation.data)
    found = await repo(ctx).create(ctx.person.id, data["addressee"])
    found.signing_mode = ctx.answer
    found.deadline = datetime.fromisoformat(data["deadline"]) if data.get("deadline") else None
    if data["body"]:
        await repo(ctx).set_text(found.id, data["language"], data["body"])
    await ctx.end_flow()
    await ctx.audit("letter.new", f"letter:{found.id}", mode=ctx.answer)
    ctx.edit(
        ctx._(
            "{reference} saved. Next: {translate}, {target}, {preview}, then {publish}.",
            reference=found.reference,
            **next_steps(ctx.t, "letter", "translate", "target", "preview", "publish"),
        )
    )


# Changes after drafting -----------------------------------------------------------------------------


def _rest(ctx: Context, words_before: int) -> str:
    """What follows the first ``words_before`` words after the subcommand, line breaks kept."""
    parts = ctx.answer.split(None, words_before)
    return parts[words_before].strip() if len(parts) > words_before else ""


async def translate(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter translate REF language text``: add or replace the text in one language (named in any of the
    five languages, or by its code)."""
    language = parse_language(args[0]) if args else None
    text = _rest(ctx, 2)
    if language is None or not text:
        raise UsageError
    await save_text(ctx, found, language, text)


async def edit(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter edit REF addressee …``, ``letter edit REF text [language] …``, ``letter edit REF deadline …``,
    the field named in any of the five languages (``destinatario``, ``texte``, «الموعد»)."""
    matched = FIELDS.match(args)
    if matched is None:
        raise UsageError
    what, after = matched
    before = 1 + len(args) - len(after)  # the reference and the field's words
    value = _rest(ctx, before)
    language = parse_language(after[0]) if after else None
    if what == "text" and language is not None and len(after) > 1:
        await save_text(ctx, found, language, _rest(ctx, before + 1))
        return
    if what == "text" and value:
        original = next(iter(await repo(ctx).texts(found.id)), ctx.locale)
        await save_text(ctx, found, original, value)
        return
    if what == "addressee" and value:
        await _save_addressee(ctx, found, " ".join(value.split()))
        return
    if what == "deadline" and value:
        await _save_deadline(ctx, found, value)
        return
    raise UsageError


async def save_text(ctx: Context, found: Letter, language: str, body: str) -> None:
    """Add or replace a text; a published letter's copies are edited and the affected signers told."""
    if closed(ctx, found) or _too_long(ctx, body, BODY_LIMIT):
        return
    before = await repo(ctx).texts(found.id)
    await repo(ctx).set_text(found.id, language, body)
    await ctx.audit("letter.translate", f"letter:{found.id}", language=language)
    ctx.reply(
        ctx._(
            "{reference} saved ({language}).",
            reference=found.reference,
            language=ctx.t.language_name(language),
        )
    )
    await _changed(ctx, found, before, found.addressee)


async def _save_addressee(ctx: Context, found: Letter, addressee: str) -> None:
    if closed(ctx, found) or _too_long(ctx, addressee, ADDRESSEE_LIMIT):
        return
    before = found.addressee
    found.addressee = addressee
    await ctx.audit("letter.edit", f"letter:{found.id}", field="addressee")
    ctx.reply(ctx._("{reference}: the addressee is now {addressee}.", reference=found.reference, addressee=addressee))  # fmt: skip
    await _changed(ctx, found, await repo(ctx).texts(found.id), before)


async def _save_deadline(ctx: Context, found: Letter, text: str) -> None:
    if closed(ctx, found):
        return
    understood, deadline = read_deadline(ctx, text)
    if not understood:
        return
    found.deadline = deadline
    await ctx.audit("letter.edit", f"letter:{found.id}", field="deadline")
    if deadline is None:
        ctx.reply(ctx._("{reference} has no deadline now.", reference=found.reference))
    else:
        when = ctx.t.format_datetime(deadline, "long")
        ctx.reply(ctx._("{reference}: signing closes on {date}.", reference=found.reference, date=when))
    reopen(ctx, found)
    if found.status == "published":
        await queue_counts(ctx, found)  # every copy shows the new deadline; what was signed is unchanged


async def _changed(ctx: Context, found: Letter, texts_before: dict[str, str], addressee_before: str) -> None:
    """After a change of text or addressee: void a pending approval, or edit the copies and tell signers."""
    reopen(ctx, found)
    if found.status != "published":
        return
    await queue_counts(ctx, found)
    texts = await repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    subject = f"letter:{found.id}:changed"
    revision = await revisions.fresh(ctx.store.session, subject)  # each change notice is new
    told = 0
    for person_id in await repo(ctx).signer_persons(found.id):
        target = await private_target(ctx.store.session, person_id, default)
        if target is None:
            continue
        now = body_for(texts, target.language, default)
        if now == body_for(texts_before, target.language, default) and found.addressee == addressee_before:
            continue  # what this signer reads did not change: no notice
        t = translator(target.language)
        notice = t.gettext(
            "The collective letter {reference} that you signed has changed. Here it is now; you can withdraw "
            "your signature before the deadline with WITHDRAW {reference}.",
            reference=found.reference,
        )
        addressee = t.gettext("To: {addressee}", addressee=found.addressee)
        told += await ctx.fan_out(subject, target, f"{notice}\n\n{addressee}\n\n{now}", revision=revision)
    if told:
        ctx.reply(
            ctx.ngettext("{n} signer was told what changed.", "{n} signers were told what changed.", told)
        )


async def target(ctx: Context, found: Letter, args: list[str]) -> None:
    """``letter target REF all|region:…|group:…|language:…`` (before publishing)."""
    spec = parse_target(args)
    if spec is None:
        ctx.reply(ctx._("Unknown target. Type all, a region, a working group or a language."))
        return
    if found.status not in ("draft", "awaiting"):
        ctx.reply(ctx._("{reference} was already published.", reference=found.reference))
        return
    await repo(ctx).set_target(found.id, spec)
    await ctx.audit("letter.target", f"letter:{found.id}", target=str(spec))
    ctx.reply(
        ctx._(
            "{reference} will go to: {target}.", reference=found.reference, target=target_label(ctx.t, spec)
        )
    )
    reopen(ctx, found)
