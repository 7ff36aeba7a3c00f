"""Collective letters: drafted and published by the secretariat, signed with one tap on behalf of an
organisation, withdrawn until the deadline, counted live, closed with thanks, exported."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import LANGUAGES
from bot.core.context import Context
from bot.core.events import ActionEvent, Attachment, Button, ChatKind, ChatRef, Event
from bot.core.i18n import N_, Translator, translator
from bot.core.router import MEMBERS, SECRETARIAT, Router
from storage.appeals import set_setting, setting
from storage.letter_export import to_csv, to_html
from storage.letters import LetterRepository, queue_count_edits
from storage.models import Letter, Organisation, utcnow
from storage.outbox import NORMAL, OutboxRepository, encode
from storage.repositories import AuditRepository
from storage.targeting import TargetSpec, parse, private_target, resolve

router = Router()
draft = router.flow("letter", roles=SECRETARIAT)
sign_person = router.flow("sign-person")
MAX_SIGNER_NAME = 100
MODES = {"organisations": N_("Organisations"), "individuals": N_("Individuals"), "both": N_("Both")}


def _repo(ctx: Context) -> LetterRepository:
    return LetterRepository(ctx.store.session)


def render(letter: Letter, body: str, language: str, count: int, timezone: str | None = None) -> str:
    """The letter as a reader of ``language`` sees it, with the live count."""
    t = Translator(language, timezone) if timezone else translator(language)
    lines = [t.gettext("✍️ Collective letter {reference}", reference=letter.reference)]
    lines.append(t.gettext("To: {addressee}", addressee=letter.addressee))
    lines.append("")
    lines.append(body)
    if letter.deadline is not None:
        lines.append("")
        lines.append(t.gettext("Sign before: {date}", date=t.format_datetime(letter.deadline, "long")))
    lines.append(t.ngettext("{n} organisation has signed.", "{n} organisations have signed.", count))
    return "\n".join(lines)


def sign_button(letter: Letter, language: str) -> list[list[Button]]:
    """The Sign button, in the reader's language."""
    return [[Button(translator(language).gettext("Sign"), "sign", str(letter.id))]]


def _body(texts: dict[str, str], language: str, default: str) -> str:
    return texts.get(language) or texts.get(default) or next(iter(texts.values()))


@router.command(
    "letter",
    roles=SECRETARIAT,
    summary=N_("collective letters: LETTER new, translate, target, publish, close…"),
)
async def letter(ctx: Context, event: Event) -> None:
    """``letter <sub> [REF] [args]``."""
    words = ctx.answer.split()
    sub = words[0].lower() if words else ""
    if sub == "new":
        if not ctx.chat.is_private:
            ctx.reply(ctx._("Please write to me in a private chat for this."))
            return
        await ctx.start_flow("letter", "addressee", language=ctx.locale)
        ctx.reply(ctx._("New collective letter. To whom is it addressed? (or CANCEL)"))
        return
    handler = SUBCOMMANDS.get(sub)
    if handler is None or len(words) < 2:
        ctx.reply(
            ctx._(
                "Usage: LETTER new | translate REF language | target REF all/region:…/group:…/language:… "
                "| publish REF | status REF | remind REF | close REF | export REF"
            )
        )
        return
    found = await _repo(ctx).by_reference(words[1])
    if found is None:
        ctx.reply(ctx._("No letter has the reference {reference}.", reference=words[1].upper()))
        return
    await handler(ctx, found, words[2:])


@draft.step("addressee")
async def _addressee(ctx: Context, event: Event) -> None:
    await ctx.goto("body", addressee=ctx.answer.strip())
    ctx.reply(ctx._("The text of the letter?"))


@draft.step("body")
async def _body_step(ctx: Context, event: Event) -> None:
    await ctx.goto("deadline", body=ctx.answer.strip())
    ctx.reply(ctx._("Deadline? Type a date as YYYY-MM-DD or YYYY-MM-DD HH:MM (your time), or - for none."))


@draft.step("deadline")
async def _deadline(ctx: Context, event: Event) -> None:
    text = ctx.answer.strip()
    deadline = None
    if text not in ("-", ""):
        try:
            deadline = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ctx.person.timezone or "UTC"))
        except ValueError:
            ctx.reply(ctx._("I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."))
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
    found = await _repo(ctx).create(ctx.person.id, data["addressee"])
    found.signing_mode = ctx.answer
    found.deadline = datetime.fromisoformat(data["deadline"]) if data.get("deadline") else None
    await _repo(ctx).set_text(found.id, data["language"], data["body"])
    await ctx.end_flow()
    await ctx.audit("letter.new", f"letter:{found.id}")
    ctx.edit(
        ctx._("{reference} saved. Next: LETTER translate, target, then publish.", reference=found.reference)
    )


async def _translate(ctx: Context, found: Letter, args: list[str]) -> None:
    language = args[0].lower() if args else ""
    text = " ".join(args[1:]).strip()
    if language not in LANGUAGES or not text:
        ctx.reply(ctx._("Usage: LETTER translate REF language text."))
        return
    await _repo(ctx).set_text(found.id, language, text)
    await ctx.audit("letter.translate", f"letter:{found.id}", language=language)
    ctx.reply(ctx._("{reference} saved ({language}).", reference=found.reference, language=language))
    if found.status == "published":
        await _tell_signers_it_changed(ctx, found, language)


async def _tell_signers_it_changed(ctx: Context, found: Letter, language: str) -> None:
    """A published letter changed: every copy shows the new text, and everyone who signed is told what changed."""
    await _queue_counts(ctx, found)

    told = 0
    texts = await _repo(ctx).texts(found.id)
    for person_id in await _repo(ctx).signer_persons(found.id):
        target = await private_target(ctx.store.session, person_id, ctx.settings.default_language)
        if target is None:
            continue
        notice = translator(target.language).gettext(
            "The collective letter {reference} that you signed has changed (its {language} text). Here it is now; "
            "you can withdraw your signature before the deadline with WITHDRAW {reference}.",
            reference=found.reference,
            language=language,
        )
        await ctx.fan_out(
            f"letter:{found.id}:changed",
            target,
            notice + "\n\n" + _body(texts, target.language, ctx.settings.default_language),
            revision=int(utcnow().timestamp()),
        )
        told += 1
    if told:
        ctx.reply(
            ctx.ngettext("{n} signer was told what changed.", "{n} signers were told what changed.", told)
        )


async def _target(ctx: Context, found: Letter, args: list[str]) -> None:
    spec = parse(args[0]) if args else None
    if spec is None:
        ctx.reply(ctx._("Unknown target. Use all, region:…, group:… or language:…."))
        return
    # Letters have no target column: the choice is kept as a setting until a migration adds one.
    await set_setting(ctx.store.session, f"letter_target:{found.id}", f"{spec.kind}:{spec.value}")
    await ctx.audit("letter.target", f"letter:{found.id}", target=str(spec))
    ctx.reply(ctx._("{reference} will go to: {target}.", reference=found.reference, target=str(spec)))


async def _spec(ctx: Context, found: Letter) -> TargetSpec:
    stored = await setting(ctx.store.session, f"letter_target:{found.id}", "all:")
    kind, _, value = stored.partition(":")
    return TargetSpec(kind, value)


async def _publish(ctx: Context, found: Letter, args: list[str]) -> None:
    if found.status != "draft":
        ctx.reply(ctx._("{reference} was already published.", reference=found.reference))
        return
    texts = await _repo(ctx).texts(found.id)
    default = ctx.settings.default_language
    targets = await resolve(ctx.store.session, await _spec(ctx, found), default)
    for target in targets:
        body = _body(texts, target.language, default)
        await ctx.fan_out(
            f"letter:{found.id}",
            target,
            render(found, body, target.language, 0, target.timezone),
            sign_button(found, target.language),
            priority=NORMAL,
        )
    found.status = "published"
    await ctx.audit("letter.publish", f"letter:{found.id}", targets=len(targets))
    ctx.reply(
        ctx.ngettext(
            "{reference} goes to {n} target.",
            "{reference} goes to {n} targets.",
            len(targets),
            reference=found.reference,
        )
    )


async def _status(ctx: Context, found: Letter, args: list[str]) -> None:
    count = await _repo(ctx).count(found.id)
    ctx.reply(
        ctx.ngettext(
            "{reference} ({status}): {n} signature.", "{reference} ({status}): {n} signatures.", count,
            reference=found.reference, status=found.status,
        )
    )  # fmt: skip


async def _remind(ctx: Context, found: Letter, args: list[str]) -> None:
    if found.status != "published":
        ctx.reply(ctx._("{reference} is not open for signature.", reference=found.reference))
        return
    from sqlalchemy import select

    from storage.models import Identity, Person, Signature
    from storage.outbox import Target

    signed = set(
        (
            await ctx.store.session.execute(
                select(Signature.organisation_id).where(Signature.letter_id == found.id)
            )
        )
        .scalars()
        .all()
    )
    rows = await ctx.store.session.execute(
        select(Person, Identity, Organisation)
        .join(Identity, Identity.person_id == Person.id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(
            Organisation.verified.is_(True),
            Person.membership_confirmed.is_(True),
            Identity.private_chat_id.is_not(None),
        )
    )
    sent: set[int] = set()
    for person, identity, organisation in rows.all():
        if organisation.id in signed or person.id in sent:
            continue
        sent.add(person.id)
        language = person.language or ctx.settings.default_language
        text = translator(language).gettext(
            "Reminder: {organisation} has not signed the collective letter {reference} yet.",
            organisation=organisation.name,
            reference=found.reference,
        )
        await ctx.fan_out(
            f"letter:{found.id}:remind",
            Target(identity.platform, identity.private_chat_id or "", language, identity.workspace),
            text,
            sign_button(found, language),
            revision=int(utcnow().timestamp() // 3600),
        )
    await ctx.audit("letter.remind", f"letter:{found.id}", people=len(sent))
    ctx.reply(ctx.ngettext("{n} reminder queued.", "{n} reminders queued.", len(sent)))


async def _close(ctx: Context, found: Letter, args: list[str]) -> None:
    await close_letter(ctx, found)
    ctx.reply(ctx._("{reference} is closed.", reference=found.reference))


async def close_letter(ctx: Context, found: Letter) -> None:
    """Close a letter and thank each signer in their language."""
    await _close_and_thank(ctx.store.session, found, ctx.settings.default_language)
    await ctx.audit("letter.close", f"letter:{found.id}")


async def _close_and_thank(session: AsyncSession, found: Letter, default_language: str) -> None:
    found.status = "closed"
    outbox = OutboxRepository(session)
    for person_id in await LetterRepository(session).signer_persons(found.id):
        target = await private_target(session, person_id, default_language)
        if target is None:
            continue
        t = translator(target.language)
        text = t.gettext(
            "Thank you for signing {reference}. Signing is now closed.", reference=found.reference
        )
        await outbox.enqueue(f"letter:{found.id}:thanks", target, encode(text, rtl=t.rtl, kind=target.kind))


async def close_due_letters(sessions: async_sessionmaker[AsyncSession], default_language: str) -> int:
    """Close every published letter whose deadline has passed, thanking its signers; returns how many."""
    async with sessions() as session, session.begin():
        due = await LetterRepository(session).due(utcnow())
        for found in due:
            await _close_and_thank(session, found, default_language)
            await AuditRepository(session).record(
                None, "letter.close", f"letter:{found.id}", reason="deadline"
            )
        return len(due)


async def _export(ctx: Context, found: Letter, args: list[str]) -> None:
    """The signatories as CSV and the letter as an HTML document (its first language, or the one asked)."""
    repo = _repo(ctx)
    signatories = await repo.signatories(found.id)
    texts = await repo.texts(found.id)
    language = args[0].lower() if args and args[0].lower() in texts else next(iter(texts))
    await ctx.audit("letter.export", f"letter:{found.id}", language=language)
    ctx.reply(
        ctx.ngettext(
            "{reference}: {n} signatory.",
            "{reference}: {n} signatories.",
            len(signatories),
            reference=found.reference,
        ),
        attachments=[
            Attachment(f"{found.reference}.csv", to_csv(signatories).encode(), "text/csv"),
            Attachment(
                f"{found.reference}.html",
                to_html(found, texts[language], language, signatories).encode(),
                "text/html",
            ),
        ],
    )


# Signing -------------------------------------------------------------------------------------------------


def _open(found: Letter | None) -> bool:
    return (
        found is not None
        and found.status == "published"
        and (found.deadline is None or found.deadline > utcnow())
    )


@router.action("sign")
async def sign(ctx: Context, event: Event) -> None:
    """Sign pressed: say exactly what will be published, and ask to confirm (in private, if pressed in a group)."""
    found = await ctx.store.session.get(Letter, int(ctx.answer)) if ctx.answer.isdigit() else None
    if not _open(found):
        ctx.notice(ctx._("Signing has ended."))
        return
    assert found is not None
    if not ctx.chat.is_private:
        private = await _private_chat(ctx)
        if private is None:
            ctx.notice(ctx._("Write to me in a private chat first (START), then press Sign again."))
            return
        ctx.notice(ctx._("Confirm in your private chat with the bot."))
        ctx.chat = private  # the confirmation is personal: it goes to the private chat, not the group
    organisation = ctx.person.organisation
    if found.signing_mode != "individuals":
        if organisation is None or not organisation.verified or not ctx.person.membership_confirmed:
            if found.signing_mode == "organisations":
                ctx.reply(
                    ctx._(
                        "Only verified organisations sign this letter. Type JOIN to name yours; the secretariat then verifies it."
                    )
                )
                return
        else:
            existing = await _repo(ctx).signature(found.id, f"org:{organisation.id}")
            if existing is not None:
                ctx.reply(ctx._("{organisation} already signed {reference} on {date}.", organisation=organisation.name,
                                reference=found.reference, date=ctx.t.format_datetime(existing.signed_at, "medium")))  # fmt: skip
                return
            where = f"{organisation.name} ({organisation.country or '—'})"
            ctx.reply(
                ctx._(
                    "This will publish: {organisation}. Your name is shown only if you choose so.",
                    organisation=where,
                ),
                [
                    [
                        Button(
                            ctx._("Sign for {organisation}", organisation=organisation.name),
                            "sign-ok",
                            f"{found.id}:org",
                        )
                    ],
                    [Button(ctx._("Sign and show my name"), "sign-ok", f"{found.id}:org+name")],
                ],
            )
            return
    # A person signs only through this flow (its buttons are bound to it), under the name they type here.
    await ctx.start_flow("sign-person", "name", letter=found.id)
    ctx.reply(ctx._("Which name should appear under {reference}? Type it as it should be published (or CANCEL).",
                    reference=found.reference))  # fmt: skip


@sign_person.step("name")
async def sign_person_name(ctx: Context, event: Event) -> None:
    """The name to publish was typed: show it and ask to confirm."""
    name = " ".join(ctx.answer.split())
    if not name or len(name) > MAX_SIGNER_NAME:
        ctx.reply(ctx._("Please type your name ({limit} characters at most).", limit=MAX_SIGNER_NAME))
        return
    await ctx.goto("confirm", name=name)
    ctx.reply(
        ctx._("This will publish your name: {name}.", name=name),
        [[ctx.flow_button(ctx._("Sign as myself"), "yes"), ctx.flow_button(ctx._("Cancel"), "no")]],
    )


@sign_person.step("confirm")
async def sign_person_confirm(ctx: Context, event: Event) -> None:
    """Only the flow's own button signs, with the name given in this flow."""
    assert ctx.conversation is not None
    data = dict(ctx.conversation.data)
    if not isinstance(event, ActionEvent):
        ctx.reply(ctx._("Please use the buttons above."))
        return
    await ctx.end_flow()
    found = await ctx.store.session.get(Letter, int(data["letter"]))
    if ctx.answer != "yes" or not _open(found) or found is None or found.signing_mode == "organisations":
        ctx.edit(ctx._("Nothing was signed."))
        return
    ctx.person.display_name = data["name"]  # the name this person gave the bot is the one published
    await _store_signature(ctx, found, f"person:{ctx.person.id}", "person", {})


async def _private_chat(ctx: Context) -> ChatRef | None:
    from sqlalchemy import select

    from storage.models import Identity

    identity = (
        (
            await ctx.store.session.execute(
                select(Identity).where(
                    Identity.person_id == ctx.person.id,
                    Identity.platform == ctx.chat.platform,
                    Identity.private_chat_id.is_not(None),
                )
            )
        )
        .scalars()
        .first()
    )
    if identity is None or identity.private_chat_id is None:
        return None
    return ChatRef(identity.platform, identity.private_chat_id, identity.workspace, ChatKind.PRIVATE)


@router.action("sign-ok")
async def sign_confirmed(ctx: Context, event: Event) -> None:
    """The confirmation: one signature per organisation, by constraint; eligibility checked again."""
    letter_id, _, kind = ctx.answer.partition(":")
    found = await ctx.store.session.get(Letter, int(letter_id)) if letter_id.isdigit() else None
    if not _open(found):
        ctx.notice(ctx._("Signing has ended."))
        return
    assert found is not None
    organisation = ctx.person.organisation
    if kind.startswith("org"):
        if (
            found.signing_mode == "individuals"
            or organisation is None
            or not organisation.verified
            or not ctx.person.membership_confirmed
        ):
            ctx.notice(
                ctx._("This button is no longer valid: nothing was changed. Type HELP to start again.")
            )
            return
        key, fields = f"org:{organisation.id}", {"organisation_id": organisation.id}
    else:  # a person signs through the sign-person flow only: a bare "person" payload is forged
        ctx.notice(ctx._("This button is no longer valid: nothing was changed. Type HELP to start again."))
        return
    await _store_signature(ctx, found, key, kind, fields)


async def _store_signature(ctx: Context, found: Letter, key: str, kind: str, fields: dict[str, int]) -> None:
    """One signature (unique per signer key), counted live; the confirmation message says so."""
    organisation = ctx.person.organisation
    signed = await _repo(ctx).sign(found.id, key, person_id=ctx.person.id, publish_name=kind.endswith("name") or kind == "person",
                                   platform=ctx.chat.platform, **fields)  # fmt: skip
    if not signed:
        ctx.edit(
            ctx._(
                "{signer} has already signed {reference}.",
                signer=organisation.name if organisation and kind.startswith("org") else ctx._("You"),
                reference=found.reference,
            )
        )
        return
    await ctx.audit("letter.sign", f"letter:{found.id}", signer=key)
    await _queue_counts(ctx, found)
    ctx.edit(
        ctx._(
            "Signed. Thank you! Type WITHDRAW {reference} to take the signature back before the deadline.",
            reference=found.reference,
        )
    )


@router.command("withdraw", roles=MEMBERS, summary=N_("take back a signature: WITHDRAW reference"))
async def withdraw(ctx: Context, event: Event) -> None:
    """Withdraw the organisation's (or one's own) signature until the deadline."""
    found = await _repo(ctx).by_reference(ctx.answer.strip()) if ctx.answer.strip() else None
    if found is None:
        ctx.reply(
            ctx._("No letter has the reference {reference}.", reference=ctx.answer.strip().upper() or "—")
        )
        return
    if not _open(found):
        ctx.reply(ctx._("Signing has ended."))
        return
    keys = [f"person:{ctx.person.id}"]
    if ctx.person.organisation_id and ctx.person.membership_confirmed:
        keys.insert(0, f"org:{ctx.person.organisation_id}")
    for key in keys:
        if await _repo(ctx).withdraw(found.id, key):
            await ctx.audit("letter.withdraw", f"letter:{found.id}", signer=key)
            await _queue_counts(ctx, found)
            ctx.reply(
                ctx._(
                    "The signature on {reference} was withdrawn. You can sign again before the deadline.",
                    reference=found.reference,
                )
            )
            return
    ctx.reply(ctx._("There is no signature of yours on {reference}.", reference=found.reference))


async def _queue_counts(ctx: Context, found: Letter) -> None:
    texts = await _repo(ctx).texts(found.id)
    count = await _repo(ctx).count(found.id)
    default = ctx.settings.default_language
    await queue_count_edits(
        ctx.store.session,
        found,
        lambda language: encode(
            render(found, _body(texts, language, default), language, count), sign_button(found, language)
        ),
    )


SUBCOMMANDS = {
    "translate": _translate,
    "target": _target,
    "publish": _publish,
    "status": _status,
    "remind": _remind,
    "close": _close,
    "export": _export,
}
