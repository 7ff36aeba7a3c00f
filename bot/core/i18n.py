"""Translations for the five languages: Babel catalogues (domain ``messages``), CLDR plurals, dates, bidi.

Each event gets a :class:`Translator` for the acting person's locale, held in a ``ContextVar`` so code
deep in a handler translates for the right person; broadcasts create one Translator per recipient
language explicitly. Nothing here installs gettext globally.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.config import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate / pop directional isolate
RLM = "\u200f"  # right-to-left mark: makes a line that starts with a value lay out right to left
# A sign written before a number («#12», «+3»): it moves inside the number's isolate, or Arabic shows «12#».
_SIGNED = re.compile(r"(?P<sign>[#+№−])\{(?P<name>\w+)(?P<spec>[^{}]*)\}")
# In a right-to-left template: a placeholder (kept as it is) or a run of Latin words (isolated).
_LETTER, _INNER = "A-Za-z\u00c0-\u024f", "A-Za-z\u00c0-\u024f0-9'’._/|…-"
_WORD = rf"[{_LETTER}0-9](?:[{_INNER}]*[{_LETTER}0-9…])?"  # ends with a letter, digit or «…», not «.»
_LATIN_RUN = re.compile(
    rf"(?P<placeholder>\{{[^{{}}]*\}})|(?P<latin>[{_LETTER}](?:[{_INNER}]*[{_LETTER}0-9…])?(?: {_WORD})*)"
)
LANGUAGE_NAMES: Mapping[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ar": "العربية",
    "pt": "Português",
}


def isolate(value: object) -> str:
    """Wrap ``value`` in Unicode isolates so a Latin name or a number keeps its order inside Arabic text."""
    return f"{FSI}{value}{PDI}"


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (Arabic, Hebrew…)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def isolate_latin(text: str) -> str:
    """Isolate each run of Latin words in right-to-left ``text`` (``{placeholders}`` are left as they are).

    A Latin word («SOS», «UA-…») inside an Arabic line otherwise takes neighbouring punctuation with it and
    scrambles the line's order.
    """

    def wrap(match: re.Match[str]) -> str:
        return match.group() if match["placeholder"] else isolate(match.group())

    return _LATIN_RUN.sub(wrap, text)


def normalise_language(hint: str | None) -> str | None:
    """Map a platform hint such as ``pt-BR`` or ``es_ES`` to one of the five languages, or None."""
    if not hint:
        return None
    base = hint.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def resolve_locale(saved: str | None, hint: str | None, default: str) -> str:
    """The person's saved choice, else the platform's hint, else the configured default."""
    return normalise_language(saved) or normalise_language(hint) or default


@cache
def _catalogue(language: str) -> Translations:
    """Load ``language``'s compiled catalogue; compile the ``.po`` in memory when the ``.mo`` is stale."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_path.is_file() and (not po_path.is_file() or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        with mo_path.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not po_path.is_file():
        return Translations(domain=DOMAIN)
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Translator:
    """Translate and format for one locale.

    ``gettext`` and ``ngettext`` take ``str.format`` keyword arguments; in a right-to-left locale each
    value is isolated, and integers are formatted with the locale's digits and grouping.
    """

    def __init__(self, language: str, timezone: str | None = None) -> None:
        self.language = language if language in LANGUAGES else "en"
        self.locale = Locale.parse(self.language)
        self.rtl = self.locale.character_order == "right-to-left"
        self.timezone = timezone
        self._translations = _catalogue(self.language)

    def _format(self, text: str, values: Mapping[str, object]) -> str:
        """Fill ``text``; in a right-to-left language every value is isolated (a sign before a number goes
        inside its isolate), Latin words of the template too, and a line that starts with a value starts with
        a right-to-left mark. In a left-to-right language only values written right to left are isolated."""
        if self.rtl:
            text = isolate_latin(text)
        if not values:
            return text
        shown = {key: self._value(value) for key, value in values.items()}
        if self.rtl:
            signed: dict[str, str] = {}

            def inside(match: re.Match[str]) -> str:
                name = match["name"]
                key = f"{name}__{len(signed)}"
                raw = values[name]
                number = format_decimal(raw, locale=self.locale) if isinstance(raw, int) else str(raw)
                signed[key] = isolate(match["sign"] + number)
                return "{" + key + match["spec"] + "}"

            text = _SIGNED.sub(lambda m: inside(m) if m["name"] in values else m.group(), text)
            shown |= signed
        filled = text.format(**shown)
        if self.rtl:
            filled = "\n".join(RLM + line if line.startswith(FSI) else line for line in filled.split("\n"))
        return filled

    def _value(self, value: object) -> str:
        shown = format_decimal(value, locale=self.locale) if isinstance(value, int) else str(value)
        if not shown:
            return shown
        return isolate(shown) if self.rtl or has_rtl(shown) else shown

    def gettext(self, message: str, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}``."""
        return self._format(self._translations.gettext(message), values)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """Translate with the CLDR plural form for ``n`` (Arabic has six); ``{n}`` is filled with n."""
        return self._format(self._translations.ngettext(singular, plural, n), {"n": n, **values})

    def pgettext(self, context: str, message: str) -> str:
        """Translate ``message`` in ``context`` (used for command words, which are short and ambiguous)."""
        return str(self._translations.pgettext(context, message))

    def language_name(self, code: str | None) -> str:
        """A language's CLDR name in this locale, as it reads inside a sentence (``árabe``, ``Arabic``)."""
        if not code:
            return self.gettext("unknown")
        return str(self.locale.languages.get(code) or code)

    def format_datetime(self, moment: datetime, format: str = "medium") -> str:
        """``moment`` in the person's timezone (UTC when unknown), formatted the locale's way."""
        zone = ZoneInfo("UTC")
        if self.timezone:
            try:
                zone = ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        text = babel_format_datetime(moment, format=format, tzinfo=zone, locale=self.locale)
        return isolate(text) if self.rtl else text


@cache
def translator(language: str) -> Translator:
    """A shared Translator for ``language`` without a timezone (for broadcasts and menus)."""
    return Translator(language)


current: ContextVar[Translator] = ContextVar("sosbot_translator")


def gettext(message: str, **values: object) -> str:
    """Translate for the person whose event is being handled."""
    return current.get(translator("en")).gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Plural-aware translate for the person whose event is being handled."""
    return current.get(translator("en")).ngettext(singular, plural, n, **values)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translated later, per recipient)."""
    return message
