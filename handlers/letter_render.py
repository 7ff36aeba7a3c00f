"""How a collective letter reads in each recipient's language: heading, addressee, text, deadline, live
count and the Sign button; country and language names from CLDR; the exported HTML document."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC
from functools import cache

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime

from bot.config import LANGUAGES
from bot.core.commands import pgettext
from bot.core.events import Button
from bot.core.i18n import N_, Translator, translator
from storage.letter_export import DocumentLabels, TableLabels, to_csv, to_html
from storage.letters import Signatory
from storage.models import Letter

SIGN = "sign"
MODES = {"organisations": N_("Organisations"), "individuals": N_("Individuals"), "both": N_("Both")}
STATUS_LABELS: dict[str, str] = {
    "draft": pgettext("letter status", "draft"),
    "awaiting": pgettext("letter status", "awaiting approval"),
    "published": pgettext("letter status", "open for signature"),
    "closed": pgettext("letter status", "closed"),
}


def status_label(t: Translator, status: str) -> str:
    """A letter's status in ``t``'s language."""
    return t.pgettext("letter status", STATUS_LABELS.get(status, status))


def body_for(texts: Mapping[str, str], language: str, default: str) -> str:
    """The text a reader of ``language`` gets: theirs, else the default language's, else the original."""
    return texts.get(language) or texts.get(default) or next(iter(texts.values()), "")


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
    return [[Button(translator(language).gettext("Sign"), SIGN, str(letter.id))]]


def _folded(name: str) -> str:
    """A name compared without case, accents or spacing differences ("Sénégal" = "senegal")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@cache
def _territory_codes() -> dict[str, str]:
    """Every CLDR country name in the five languages (folded) -> its territory code."""
    codes: dict[str, str] = {}
    for language in LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if code.isalpha():  # countries, not numeric regions such as 419 (Latin America)
                codes.setdefault(_folded(name), code)
    return codes


def country_name(language: str, typed: str) -> str:
    """A country as typed by a member ("Mexico", "México", "MX"), named in ``language`` by CLDR.

    A name CLDR does not know is shown as typed.
    """
    folded = _folded(typed)
    code = typed.strip().upper() if len(typed.strip()) == 2 else _territory_codes().get(folded)
    names = Locale.parse(language).territories
    return str(names.get(code or "", typed)) if code else typed


def language_name(reader: str, language: str) -> str:
    """The name of ``language`` in the reader's language ("árabe" for a Spanish reader of ``ar``)."""
    return str(Locale.parse(reader).languages.get(language, language))


def export_html(letter: Letter, body: str, language: str, signatories: list[Signatory]) -> str:
    """The letter in ``language`` as an HTML document with its signatories (countries named in it)."""
    t = translator(language)
    labels = DocumentLabels(
        language=language,
        rtl=t.rtl,
        title=t.gettext("Collective letter {reference}", reference=letter.reference),
        addressee=t.gettext("To: {addressee}", addressee=letter.addressee),
        signatories=t.ngettext("{n} signatory", "{n} signatories", len(signatories)),
        country=lambda typed: country_name(language, typed),
    )
    return to_html(body, signatories, labels)


def export_csv(language: str, signatories: list[Signatory]) -> str:
    """The signatories as CSV with headings, dates (UTC) and country names in ``language``."""
    t = translator(language)
    labels = TableLabels(
        organisation=t.gettext("Organisation"),
        country=t.gettext("Country"),
        signer=t.gettext("Signer"),
        signed_at=t.gettext("Signed on (UTC)"),
        date=lambda moment: babel_format_datetime(moment, "short", tzinfo=UTC, locale=t.locale),
        country_name=lambda typed: country_name(language, typed),
    )
    return to_csv(signatories, labels)


def export_language(asked: str | None, texts: Mapping[str, str]) -> str | None:
    """The export's language: the one asked (a code or a name in any of the five languages), else the letter's
    first; None when the asked language is not one the bot speaks."""
    if not asked:
        return next(iter(texts), None)
    from handlers.labels import parse_language

    return parse_language(asked)
