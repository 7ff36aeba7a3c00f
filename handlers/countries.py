"""Countries: chosen from CLDR's territory names (Babel), found by part of a name in any of the five languages.

A case stores the ISO 3166 code; every reader sees the name in their own language. Values stored before
countries were codes (free text) are shown as they are.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from babel import Locale

from bot.config import LANGUAGES

# CLDR territories that are not countries or territories a defender lives in.
NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
MAX_CHOICES = 8  # more matches than this: ask for more of the name rather than a wall of buttons
MIN_QUERY = 2


def fold(text: str) -> str:
    """Case, accents, punctuation and spacing folded away, so "cote d'ivoire" finds "Côte d’Ivoire"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("M"):
            continue  # combining accents (and Arabic vowel marks)
        kept.append(char if category[0] in "LN" else " ")
    return " ".join("".join(kept).split())


@cache
def _names(language: str) -> dict[str, str]:
    territories = Locale.parse(language).territories
    return {
        code: str(name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


@cache
def _index() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, folded names in every language), in a stable order."""
    codes = sorted(_names("en"))
    return tuple(
        (code, tuple(dict.fromkeys(fold(_names(lang).get(code, "")) for lang in LANGUAGES))) for code in codes
    )


def is_country(code: str | None) -> bool:
    """Whether ``code`` is a country code the bot offers."""
    return bool(code) and code in _names("en")


def country_name(code: str | None, language: str) -> str:
    """The country's name in ``language``; a legacy free-text value as it is; "—" for none."""
    if not code:
        return "—"
    return _names(language).get(code, code)


@dataclass(frozen=True)
class Search:
    """What a typed country answer found: one code, a few to choose from, too many, or none."""

    codes: tuple[str, ...]
    too_many: bool = False

    @property
    def found(self) -> str | None:
        """The one country meant, when the answer was unambiguous."""
        return self.codes[0] if len(self.codes) == 1 and not self.too_many else None


def search(typed: str) -> Search:
    """Countries whose name, in any of the five languages, equals or contains what was typed."""
    query = fold(typed)
    if len(query) < MIN_QUERY:
        return Search(())
    exact = [code for code, names in _index() if query in names]
    if exact:
        # "Niger" is exact, yet "Nigeria" starts the same way: offer both rather than guess.
        longer = [c for c, names in _index() if c not in exact and any(n.startswith(query) for n in names)]
        return Search(tuple([*exact, *longer][:MAX_CHOICES]))
    starting = [code for code, names in _index() if any(_starts_a_word(n, query) for n in names)]
    partial = starting or [code for code, names in _index() if any(query in n for n in names)]
    return Search(tuple(partial[:MAX_CHOICES]), too_many=len(partial) > MAX_CHOICES)


def _starts_a_word(name: str, query: str) -> bool:
    return name.startswith(query) or f" {query}" in name
