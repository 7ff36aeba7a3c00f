"""The ``Plural-Forms`` header of each catalogue, kept in CLDR's order.

Translators write plural forms in CLDR's category order (zero, one, two, few, many, other, keeping only the
categories the language has). Babel's built-in headers disagree with that order for Arabic (few and many
swapped, Babel issue #816) and for Brazilian Portuguese (CLDR counts 0 as "one"), so ``make i18n`` runs
``python -m bot.core.plural_forms`` after ``pybabel update``/``init`` to write the headers below back, and
the catalogue check refuses any header whose choice differs from CLDR's.
"""

from __future__ import annotations

import gettext
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import Locale

CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")
# Numbers whose category decides every form a chat message can need (counts, ages, sizes).
SAMPLE = range(0, 1001)
HEADERS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "pt": "nplurals=2; plural=(n > 1);",
}
_HEADER_ENTRY = re.compile(r'^"Plural-Forms: (?:[^"\\]|\\.)*?(?:"\n"(?:[^"\\]|\\.)*?)*\\n"\n', re.MULTILINE)


@cache
def categories(language: str) -> tuple[str, ...]:
    """The CLDR categories ``language`` uses for whole numbers, in CLDR order (the order of the forms)."""
    locale = Locale.parse(language)
    used = {locale.plural_form(n) for n in SAMPLE}
    return tuple(name for name in CLDR_ORDER if name in used)


def cldr_index(language: str, n: int) -> int:
    """The index of the plural form CLDR chooses for ``n`` in ``language``."""
    return categories(language).index(Locale.parse(language).plural_form(n))


def header_problems(language: str, num_plurals: int, plural_expr: str) -> list[str]:
    """How a catalogue's plural header disagrees with CLDR (empty when it agrees)."""
    expected = len(categories(language))
    if num_plurals != expected:
        return [f"{language}: Plural-Forms declares {num_plurals} forms, CLDR has {expected}"]
    choose: Callable[[int], int] = gettext.c2py(plural_expr)
    wrong = [n for n in SAMPLE if choose(n) != cldr_index(language, n)]
    if wrong:
        shown = ", ".join(str(n) for n in wrong[:5])
        return [f"{language}: Plural-Forms chooses a form other than CLDR's for n = {shown}…"]
    return []


def fix_header(path: Path, language: str) -> bool:
    """Write the CLDR-ordered header into the ``.po`` at ``path``; True when the file changed."""
    header = HEADERS.get(language)
    if header is None or not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    fixed, count = _HEADER_ENTRY.subn(f'"Plural-Forms: {header}\\\\n"\n', text, count=1)
    if count == 0:
        raise ValueError(f"{path}: no Plural-Forms header found")
    if fixed != text:
        path.write_text(fixed, encoding="utf-8")
    return fixed != text


def main() -> int:
    """Fix the headers of every catalogue under ``locales/`` (run by ``make i18n``)."""
    from bot.config import LANGUAGES
    from bot.core.i18n import DOMAIN, LOCALES_DIR

    for language in LANGUAGES:
        if fix_header(LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po", language):
            print(f"{language}: Plural-Forms set to CLDR's order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
