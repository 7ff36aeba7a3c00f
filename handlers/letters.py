"""Collective letters: drafted and published by the secretariat, signed with one tap on behalf of an
organisation, withdrawn until the deadline, counted live, closed with thanks, exported.

Drafting and changes live in ``letter_draft``, preview and publication in ``letter_publish``, progress,
reminders, closing and the export in ``letter_status``; signing is here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.context import Context
from bot.core.events import ActionEvent, Button, ChatKind, ChatRef, Event
from bot.core.i18n import N_
from bot.core.router import MEMBERS, SECRETARIAT, Router, SubHandler, UsageError
from handlers import letter_common, letter_draft, letter_publish, letter_status
from handlers.letter_common import queue_counts as _queue_counts
from handlers.letter_common import repo as _repo
from handlers.letter_status import close_due_letters
from storage.models import Letter, utcnow

router = Router()
router.include(letter_common.router, letter_draft.router, letter_publish.router, letter_status.router)
Subcommand = Callable[[Context, Letter, list[str]], Awaitable[None]]
sign_person = router.flow("sign-person")
MAX_SIGNER_NAME = 100

__all__ = ["close_due_letters", "router"]


letter = router.group(
    "letter",
    roles=SECRETARIAT,
    summary=N_("collective letters: {subcommands}…"),
    listed=("new", "translate", "edit", "target", "preview", "publish", "status"),
)


def _on_letter(handler: Subcommand) -> SubHandler:
    """``LETTER <word> REF …``: the letter is loaded (locked) before ``handler`` runs."""

    async def run(ctx: Context, args: list[str]) -> None:
        if not args:
            raise UsageError
        found = await _repo(ctx).by_reference_locked(args[0])
        if found is None:
            ctx.reply(ctx._("No letter has the reference {reference}.", reference=args[0].upper()))
            return
        await handler(ctx, found, args[1:])

    return run


@letter.sub("new")
async def _new(ctx: Context, args: list[str]) -> None:
    await letter_draft.new(ctx, args)


letter.sub("translate", usage=N_("REF language text"))(_on_letter(letter_draft.translate))
letter.sub(
    "edit",
    usage=N_("REF {addressee} NAME, REF {text} [language] TEXT, or REF {deadline} DATE (or -)"),
    fields=letter_draft.FIELDS,
)(_on_letter(letter_draft.edit))
letter.sub("target", usage=N_("REF all, region, working group or language"))(_on_letter(letter_draft.target))
letter.sub("preview", usage=N_("REF"))(_on_letter(letter_publish.preview))
letter.sub("publish", usage=N_("REF"))(_on_letter(letter_publish.publish))
letter.sub("approve", usage=N_("REF"))(_on_letter(letter_publish.approve))
letter.sub("status", usage=N_("REF"))(_on_letter(letter_status.show_status))
letter.sub("remind", usage=N_("REF"))(_on_letter(letter_status.remind))
letter.sub("close", usage=N_("REF"))(_on_letter(letter_status.close))
letter.sub("export", usage=N_("REF [language]"))(_on_letter(letter_status.export))


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
        # Two whole sentences: "You" glued into "{signer} has already signed" breaks the verb's agreement.
        if organisation and kind.startswith("org"):
            ctx.edit(ctx._("{organisation} has already signed {reference}.", organisation=organisation.name,
                           reference=found.reference))  # fmt: skip
        else:
            ctx.edit(ctx._("You have already signed {reference}.", reference=found.reference))
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
