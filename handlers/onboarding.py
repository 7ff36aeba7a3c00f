"""First contact: start, help, language and cancel."""

from __future__ import annotations

from bot.config import LANGUAGES
from bot.core.commands import localised_word
from bot.core.context import Context
from bot.core.events import Button, Event
from bot.core.i18n import LANGUAGE_NAMES, N_, Translator, translator
from bot.core.router import Router
from handlers.labels import role_label

router = Router()


def language_buttons() -> list[list[Button]]:
    """One button per language, each labelled in its own language."""
    return [[Button(LANGUAGE_NAMES[code], "lang", code) for code in LANGUAGES]]


@router.command("start", summary=N_("introduce the bot and what it stores"))
async def start(ctx: Context, event: Event) -> None:
    """Greet the person in their language and say what the bot does and stores."""
    name = event.actor.display_name or ctx.person.display_name  # Slack names only newcomers (see Actor)
    hello = (
        ctx._("Hello {name}, this is the SOS bot of the network's Solidarity System.", name=name)
        if name
        else ctx._("Hello, this is the SOS bot of the network's Solidarity System.")
    )
    ctx.reply(
        "\n\n".join(
            (
                hello,
                ctx._(
                    "Defenders can report a threat here in private; the secretariat answers within hours. "
                    "Members receive urgent appeals and sign collective letters on behalf of their organisation."
                ),
                ctx._(
                    "What I store: your platform id, your name, your language and your organisation. "
                    "Threat reports are encrypted and seen only by the secretariat. "
                    "Type FORGET at any time to erase your data."
                ),
                ctx._("Type HELP to see what you can do. Choose your language:"),
            )
        ),
        language_buttons(),
    )


@router.action("welcome")
async def welcome(ctx: Context, event: Event) -> None:
    """A newcomer who wrote no command, or whose platform language is not one of ours: the five languages
    first (the question asked in each of them, each language named in itself), then the start message."""
    question = "\n".join(translator(code).gettext("Choose your language:") for code in LANGUAGES)
    ctx.reply(question, language_buttons())
    await start(ctx, event)


@router.command("help", summary=N_("list the commands you can use"))
async def help_(ctx: Context, event: Event) -> None:
    """List only the commands the person's role may use, with the words of their language."""
    assert ctx.router is not None
    lines = [ctx._("You are registered as: {role}.", role=role_label(ctx.t, ctx.person.role))]
    lines.append(ctx._("What you can do:"))
    for name, route in ctx.router.commands.items():
        if route.summary and ctx.person.role in route.roles:
            group = ctx.router.groups.get(name)
            # A group's summary names its subcommands in the reader's words, from the router.
            summary = (
                ctx._(route.summary, subcommands=group.listing(ctx.t)) if group else ctx._(route.summary)
            )
            lines.append(f"• {localised_word(name, ctx.locale).upper()} — {summary}")
    ctx.reply("\n".join(lines))


@router.command("language", summary=N_("choose your language"))
async def language(ctx: Context, event: Event) -> None:
    """Set the language directly (``language es``) or offer the five as buttons."""
    if ctx.answer:
        await _set_language(ctx, ctx.answer.strip().lower())
        return
    ctx.reply(ctx._("Choose your language:"), language_buttons())


@router.action("lang")
async def language_chosen(ctx: Context, event: Event) -> None:
    """A language button was pressed."""
    await _set_language(ctx, ctx.answer)


async def _set_language(ctx: Context, code: str) -> None:
    if code not in LANGUAGES:
        choices = ", ".join(LANGUAGES)
        ctx.reply(ctx._("Unknown language. Choose one of: {choices}.", choices=choices), language_buttons())
        return
    previous = ctx.person.language
    ctx.person.language = code
    ctx.t = Translator(code, ctx.person.timezone)  # answer in the language just chosen
    await ctx.audit("person.language", f"person:{ctx.person.id}", old=previous, new=code)
    ctx.edit(ctx._("From now on I will write to you in {language}.", language=LANGUAGE_NAMES[code]))


@router.command("cancel", summary=N_("stop what you are doing"))
async def cancel(ctx: Context, event: Event) -> None:
    """End the flow in progress, forgetting its answers."""
    if ctx.conversation is None:
        ctx.reply(ctx._("There is nothing to cancel."))
        return
    await ctx.end_flow()
    ctx.reply(ctx._("Cancelled. Nothing was saved."))
