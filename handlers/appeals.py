"""Urgent appeals: draft, translate, preview, target, send (optionally after a second approval), update,
follow up, retract, close; members say "I acted"; the secretariat sees delivery and action counts."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import LANGUAGES
from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import N_, Translator, translator
from bot.core.router import SECRETARIAT, Router
from handlers.appeal_render import ACTED, acted_button, pick_text, render, retraction
from storage import deliveries
from storage.appeals import TWO_PERSON_RULE, AppealRepository, set_setting, setting
from storage.models import Appeal, Delivery
from storage.outbox import URGENT, OutboxRepository, Target, encode
from storage.targeting import TargetSpec, parse, resolve

router = Router()
draft = router.flow("appeal", roles=SECRETARIAT)
SENT_STATES = ("sent", "updated")
LIVE_SUBJECT = re.compile(r"appeal:(\d+)")
STATUS_WINDOW = timedelta(seconds=2)


def _repo(ctx: Context) -> AppealRepository:
    return AppealRepository(ctx.store.session)


@router.command(
    "appeal",
    roles=SECRETARIAT,
    summary=N_("urgent appeals: APPEAL new, translate, preview, target, send, status…"),
)
async def appeal(ctx: Context, event: Event) -> None:
    """``appeal <sub> [REF] [args]``: one command, one subcommand per step of an appeal's life."""
    words = ctx.answer.split()
    sub = words[0].lower() if words else ""
    if sub == "new":
        if not ctx.chat.is_private:
            ctx.reply(ctx._("Please write to me in a private chat for this."))
            return
        await ctx.start_flow("appeal", "title", mode="new", language=ctx.locale)
        ctx.reply(ctx._("New urgent appeal. Title? (or CANCEL)"))
        return
    handler = SUBCOMMANDS.get(sub)
    if handler is None or len(words) < 2:
        ctx.reply(
            ctx._(
                "Usage: APPEAL new | translate REF language | preview REF | target REF all/region:…/group:…/language:… "
                "| send REF | approve REF | status REF | update REF language | followup REF text | retract REF | close REF"
            )
        )
        return
    found = await _repo(ctx).by_reference(words[1])
    if found is None:
        ctx.reply(ctx._("No appeal has the reference {reference}.", reference=words[1].upper()))
        return
    await handler(ctx, found, words[2:])


# Drafting ------------------------------------------------------------------------------------------------


@draft.step("title")
async def _title(ctx: Context, event: Event) -> None:
    await ctx.goto("what", title=ctx.answer.strip())
    ctx.reply(ctx._("What happened?"))


@draft.step("what")
async def _what(ctx: Context, event: Event) -> None:
    await ctx.goto("todo", what=ctx.answer.strip())
    ctx.reply(ctx._("What should members do?"))


@draft.step("todo")
async def _todo(ctx: Context, event: Event) -> None:
    assert ctx.conversation is not None
    await ctx.goto("deadline" if ctx.conversation.data["mode"] == "new" else "save", todo=ctx.answer.strip())
    if ctx.conversation.data["mode"] == "new":
        ctx.reply(
            ctx._("Deadline? Type a date as YYYY-MM-DD or YYYY-MM-DD HH:MM (your time), or - for none.")
        )
        return
    await _save(ctx, None)


@draft.step("deadline")
async def _deadline(ctx: Context, event: Event) -> None:
    text = ctx.answer.strip()
    deadline: datetime | None = None
    if text not in ("-", ""):
        try:
            deadline = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ctx.person.timezone or "UTC"))
        except ValueError:
            ctx.reply(ctx._("I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."))
            return
    await _save(ctx, deadline)


async def _save(ctx: Context, deadline: datetime | None) -> None:
    assert ctx.conversation is not None
    data = dict(ctx.conversation.data)
    repo = _repo(ctx)
    found: Appeal | None
    if data["mode"] == "new":
        found = await repo.create(ctx.person.id)
        found.deadline = deadline
    else:
        found = await repo.by_reference(data["reference"])
    assert found is not None
    await repo.set_text(found.id, data["language"], data["title"], data["what"], data["todo"])
    await ctx.end_flow()
    if data["mode"] == "update":
        await _push_update(ctx, found)  # audited there, with the revision and the copies it reaches
        return
    await ctx.audit(f"appeal.{data['mode']}", f"appeal:{found.id}", language=data["language"])
    ctx.reply(
        ctx._(
            "{reference} saved ({language}). Next: APPEAL translate, target, preview, then send.",
            reference=found.reference,
            language=data["language"],
        )
    )


async def _translate(ctx: Context, found: Appeal, args: list[str]) -> None:
    await _edit_text(ctx, found, args, "translate")


async def _update(ctx: Context, found: Appeal, args: list[str]) -> None:
    if found.status not in SENT_STATES:
        ctx.reply(
            ctx._(
                "{reference} has not been sent: use APPEAL translate to change it.", reference=found.reference
            )
        )
        return
    await _edit_text(ctx, found, args, "update")


async def _edit_text(ctx: Context, found: Appeal, args: list[str], mode: str) -> None:
    language = args[0].lower() if args else ""
    if language not in LANGUAGES:
        ctx.reply(ctx._("Unknown language. Choose one of: {choices}.", choices=", ".join(LANGUAGES)))
        return
    await ctx.start_flow("appeal", "title", mode=mode, language=language, reference=found.reference)
    ctx.reply(
        ctx._("{reference} in {language}. Title? (or CANCEL)", reference=found.reference, language=language)
    )


# Targeting, preview, sending ------------------------------------------------------------------------------


async def _target(ctx: Context, found: Appeal, args: list[str]) -> None:
    spec = parse(args[0]) if args else None
    if spec is None:
        ctx.reply(ctx._("Unknown target. Use all, region:…, group:… or language:…."))
        return
    found.target = {"kind": spec.kind, "value": spec.value}
    await ctx.audit("appeal.target", f"appeal:{found.id}", target=str(spec))
    await _preview(ctx, found, [])


def _spec(found: Appeal) -> TargetSpec:
    return (
        TargetSpec(found.target.get("kind", "all"), found.target.get("value", ""))
        if found.target
        else TargetSpec()
    )


async def _preview(ctx: Context, found: Appeal, args: list[str]) -> None:
    texts = await _repo(ctx).texts(found.id)
    if not texts:
        ctx.reply(ctx._("{reference} has no text yet.", reference=found.reference))
        return
    default = ctx.settings.default_language
    targets = await resolve(ctx.store.session, _spec(found), default)
    per_language = Counter(t.language for t in targets)
    fallback = sum(n for lang, n in per_language.items() if lang not in texts)
    lines = [
        ctx.ngettext(
            "{reference} goes to {n} target ({target}).",
            "{reference} goes to {n} targets ({target}).",
            len(targets),
            reference=found.reference,
            target=str(_spec(found)),
        ),
        ctx.ngettext(
            "{n} of them will read it in a fallback language.",
            "{n} of them will read it in a fallback language.",
            fallback,
        ),
    ]
    for language in sorted(set(per_language) | set(texts)):
        _text, fell_back = pick_text(texts, language, default)
        lines.append("")
        lines.append(
            ctx._("— {language} ({count}) —", language=language, count=per_language.get(language, 0))
            + (ctx._(" fallback") if fell_back else "")
        )
        lines.append(render(found, texts, language, default))
    ctx.reply("\n".join(lines))


async def _send(ctx: Context, found: Appeal, args: list[str]) -> None:
    if found.status not in ("draft", "awaiting"):
        ctx.reply(ctx._("{reference} was already sent.", reference=found.reference))
        return
    if not await _repo(ctx).texts(found.id):
        ctx.reply(ctx._("{reference} has no text yet.", reference=found.reference))
        return
    if await setting(ctx.store.session, TWO_PERSON_RULE) == "on" and found.approved_by is None:
        found.status = "awaiting"
        await ctx.audit("appeal.submit", f"appeal:{found.id}")
        ctx.reply(
            ctx._(
                "{reference} waits for a second secretariat member: APPEAL approve {reference}.",
                reference=found.reference,
            )
        )
        return
    await _fan_out(ctx, found)


async def _approve(ctx: Context, found: Appeal, args: list[str]) -> None:
    if found.status != "awaiting":
        ctx.reply(ctx._("{reference} is not waiting for approval.", reference=found.reference))
        return
    if found.created_by == ctx.person.id:
        ctx.reply(ctx._("Another secretariat member must approve what you wrote."))
        return
    found.approved_by = ctx.person.id
    await ctx.audit("appeal.approve", f"appeal:{found.id}")
    await _fan_out(ctx, found)


async def _fan_out(ctx: Context, found: Appeal) -> None:
    texts = await _repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    targets = await resolve(ctx.store.session, _spec(found), default)
    for target in targets:
        await ctx.fan_out(
            f"appeal:{found.id}",
            target,
            render(found, texts, target.language, default, timezone=target.timezone),
            acted_button(found, target.language),
            priority=URGENT,
            revision=1,
        )
    found.status = "sent"
    await ctx.audit("appeal.send", f"appeal:{found.id}", targets=len(targets))
    # A status message through the outbox too: the worker edits it live as copies are delivered.
    here = Target(ctx.chat.platform, ctx.chat.chat_id, ctx.locale, ctx.chat.workspace, ctx.chat.kind)
    await ctx.fan_out(
        f"appeal:{found.id}:status", here, await _status_text(ctx, found), _refresh_button(found, ctx.locale)
    )
    ctx.reply(
        ctx.ngettext(
            "{reference} is on its way to {n} target.",
            "{reference} is on its way to {n} targets.",
            len(targets),
            reference=found.reference,
        ),
        [[Button(ctx._("Delivery status"), "appeal-status", str(found.id))]],
    )


# After sending --------------------------------------------------------------------------------------------


async def _push_update(ctx: Context, found: Appeal) -> None:
    texts = await _repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    found.revision += 1
    found.status = "updated"
    queued = await deliveries.enqueue_edit_everywhere(
        ctx.store.session,
        f"appeal:{found.id}",
        found.revision,
        lambda language: encode(
            render(found, texts, language, default, updated=True), acted_button(found, language)
        ),
        priority=URGENT,
    )
    await ctx.audit("appeal.update", f"appeal:{found.id}", revision=found.revision, copies=queued)
    ctx.reply(ctx.ngettext("{n} copy will be updated.", "{n} copies will be updated.", queued))


async def _followup(ctx: Context, found: Appeal, args: list[str]) -> None:
    text = " ".join(args).strip()
    if found.status not in SENT_STATES or not text:
        ctx.reply(ctx._("Usage: APPEAL followup REF text (after sending)."))
        return
    copies = await ctx.store.session.execute(
        select(Delivery).where(
            Delivery.subject == f"appeal:{found.id}", Delivery.operation == "send", Delivery.status == "sent"
        )
    )
    outbox = OutboxRepository(ctx.store.session)
    found.revision += 1
    count = 0
    for copy in copies.scalars().all():
        target = Target(copy.platform, copy.chat_id, copy.language, copy.workspace)
        body = translator(copy.language).gettext(
            "Follow-up to {reference}: {text}", reference=found.reference, text=text
        )
        row = await outbox.enqueue(
            f"appeal:{found.id}:followup",
            target,
            encode(body, reply_to=copy.platform_message_id),
            priority=URGENT,
            revision=found.revision,
        )
        count += row is not None
    await ctx.audit("appeal.followup", f"appeal:{found.id}", copies=count)
    ctx.reply(ctx.ngettext("The follow-up goes to {n} copy.", "The follow-up goes to {n} copies.", count))


async def _retract(ctx: Context, found: Appeal, args: list[str]) -> None:
    if found.status not in SENT_STATES:
        ctx.reply(ctx._("{reference} has not been sent.", reference=found.reference))
        return
    found.revision += 1
    found.status = "retracted"
    queued = await deliveries.enqueue_edit_everywhere(
        ctx.store.session,
        f"appeal:{found.id}",
        found.revision,
        lambda lang: encode(retraction(found, lang)),
        URGENT,
    )
    await ctx.audit("appeal.retract", f"appeal:{found.id}", copies=queued)
    ctx.reply(
        ctx.ngettext("{n} copy will show the retraction.", "{n} copies will show the retraction.", queued)
    )


async def _close(ctx: Context, found: Appeal, args: list[str]) -> None:
    found.status = "closed"
    await ctx.audit("appeal.close", f"appeal:{found.id}")
    ctx.reply(ctx._("{reference} is closed.", reference=found.reference))


async def _status(ctx: Context, found: Appeal, args: list[str]) -> None:
    ctx.reply(await _status_text(ctx, found), [[Button(ctx._("Refresh"), "appeal-status", str(found.id))]])


async def _status_text(ctx: Context, found: Appeal) -> str:
    return await status_text(ctx.store.session, found, ctx.t)


async def status_text(session: AsyncSession, found: Appeal, t: Translator) -> str:
    """Delivery and action counts of an appeal, per platform and language, in ``t``'s language."""
    counts = await deliveries.status(session, f"appeal:{found.id}")
    acted_count = await AppealRepository(session).acted_count(found.id)

    def summary(counter: Counter[str]) -> str:
        return t.gettext(
            "{sent} sent, {pending} pending, {failed} failed",
            sent=counter["sent"],
            pending=counter["pending"],
            failed=counter["failed"],
        )

    lines = [
        t.gettext(
            "{reference} ({status}): {summary}",
            reference=found.reference,
            status=found.status,
            summary=summary(counts.by_status),
        )
    ]
    lines += [f"• {platform}: {summary(counter)}" for platform, counter in sorted(counts.by_platform.items())]
    lines += [f"• {language}: {summary(counter)}" for language, counter in sorted(counts.by_language.items())]
    if counts.failures:
        reasons = ", ".join(f"{reason} ×{n}" for reason, n in counts.failures.most_common())
        lines.append(t.gettext("Failures: {reasons}", reasons=reasons))
    lines.append(t.ngettext("{n} person said they acted.", "{n} people said they acted.", acted_count))
    return "\n".join(lines)


async def refresh_live_status(sessions: async_sessionmaker[AsyncSession], subjects: set[str]) -> None:
    """The worker delivered copies of some appeals: edit their live status messages (coalesced per 2 s)."""
    for subject in subjects:
        match = LIVE_SUBJECT.fullmatch(subject)
        if match is None:
            continue
        async with sessions() as session, session.begin():
            found = await session.get(Appeal, int(match.group(1)))
            if found is None:
                continue
            payloads = {
                lang: encode(
                    await status_text(session, found, translator(lang)), _refresh_button(found, lang)
                )
                for lang in LANGUAGES
            }
            await deliveries.queue_coalesced_edits(
                session, f"appeal:{found.id}:status", payloads.__getitem__, STATUS_WINDOW
            )


def _refresh_button(found: Appeal, language: str) -> list[list[Button]]:
    return [[Button(translator(language).gettext("Refresh"), "appeal-status", str(found.id))]]


@router.action("appeal-status", roles=SECRETARIAT)
async def refresh_status(ctx: Context, event: Event) -> None:
    """The status button: edit the status message with fresh counts."""
    found = await ctx.store.session.get(Appeal, int(ctx.answer)) if ctx.answer.isdigit() else None
    if found is None:
        ctx.notice(ctx._("This button has expired."))
        return
    ctx.edit(await _status_text(ctx, found), [[Button(ctx._("Refresh"), "appeal-status", str(found.id))]])


@router.action(ACTED)
async def acted(ctx: Context, event: Event) -> None:
    """A member says they acted on an appeal; counted once per person."""
    found = await ctx.store.session.get(Appeal, int(ctx.answer)) if ctx.answer.isdigit() else None
    if found is None or found.status not in SENT_STATES:
        ctx.notice(ctx._("This appeal is closed."))
        return
    if await _repo(ctx).has_acted(found.id, ctx.person.id):
        ctx.notice(ctx._("Already counted. Thank you!"))
        return
    await ctx.audit("appeal.acted", f"appeal:{found.id}")
    ctx.notice(ctx._("Thank you! The secretariat sees that you acted."))


@router.command(
    "settings",
    roles=SECRETARIAT,
    summary=N_("network settings: SETTINGS two-person on|off, SETTINGS delete-reports on|off"),
)
async def settings_(ctx: Context, event: Event) -> None:
    """Network settings: the two-person rule for appeals, and deleting report messages once stored."""
    words = ctx.answer.lower().split()
    known = {"two-person": (TWO_PERSON_RULE, "off"), "delete-reports": ("delete_reports", "on")}
    if len(words) != 2 or words[0] not in known or words[1] not in ("on", "off"):
        two_person = await setting(ctx.store.session, TWO_PERSON_RULE, "off")
        deleting = await setting(ctx.store.session, "delete_reports", "on")
        ctx.reply(
            ctx._(
                "Usage: SETTINGS two-person on|off, SETTINGS delete-reports on|off (now: {two_person}, {deleting}).",
                two_person=two_person,
                deleting=deleting,
            )
        )
        return
    key, _default = known[words[0]]
    await set_setting(ctx.store.session, key, words[1])
    await ctx.audit("settings.change", f"settings:{key}", value=words[1])
    ctx.reply(ctx._("{setting}: {value}.", setting=words[0], value=words[1]))


SUBCOMMANDS = {
    "translate": _translate,
    "preview": _preview,
    "target": _target,
    "send": _send,
    "approve": _approve,
    "status": _status,
    "update": _update,
    "followup": _followup,
    "retract": _retract,
    "close": _close,
}
