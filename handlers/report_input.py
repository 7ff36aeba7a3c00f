"""What a person writes into a report, checked before it is kept: control characters, lengths, the country.

Every check answers in the person's language and keeps the question open, so nothing that cannot be stored
(a 3,000-character country, a NUL byte PostgreSQL refuses) ever reaches the Send button.
"""

from __future__ import annotations

import unicodedata

from bot.core.context import Context
from bot.core.events import Button
from handlers.countries import country_name, is_country, search
from handlers.report_steps import Step

KEEP = frozenset("\n\t")
COUNTRY_PREFIX = "c="  # button value of a country choice: c=BR


def clean(text: str) -> str:
    """``text`` without control characters (NUL, escapes; line breaks and tabs stay), trimmed."""
    return "".join(c for c in text if c in KEEP or unicodedata.category(c) != "Cc").strip()


def too_long(ctx: Context, step: Step, value: str) -> bool:
    """Refuse an answer longer than the step takes, saying how long it may be."""
    if not step.limit or len(value) <= step.limit:
        return False
    ctx.reply(
        ctx.ngettext(
            "Your answer is too long: please write it in {n} character at most (it has {length}).",
            "Your answer is too long: please write it in {n} characters at most (it has {length}).",
            step.limit,
            length=len(value),
        )
    )
    return True


def country_buttons(ctx: Context, codes: tuple[str, ...]) -> list[list[Button]]:
    """One button per country found, named in the reader's language, two to a row."""
    labels = [ctx.flow_button(country_name(code, ctx.locale), f"{COUNTRY_PREFIX}{code}") for code in codes]
    return [labels[i : i + 2] for i in range(0, len(labels), 2)]


def chosen_country(value: str) -> str | None:
    """The code of a pressed country button, when it is one the bot offers."""
    code = value.removeprefix(COUNTRY_PREFIX) if value.startswith(COUNTRY_PREFIX) else ""
    return code if is_country(code) else None


def find_country(ctx: Context, typed: str) -> str | None:
    """The country meant by ``typed``; otherwise asks (buttons for a few matches) and returns None."""
    found = search(typed)
    if found.found:
        return found.found
    if found.too_many:
        ctx.reply(ctx._("Many countries match “{typed}”: please write more of the name.", typed=typed[:40]))
    elif found.codes:
        ctx.echo(ctx._("Which country do you mean?"), country_buttons(ctx, found.codes))
    else:
        ctx.reply(
            ctx._(
                "I don't know a country called “{typed}”. Please write its name in English, Spanish, French, "
                "Arabic or Portuguese, or part of it.",
                typed=typed[:40],
            )
        )
    return None
