"""Command words and their localised aliases (HELP/AYUDA/AIDE/مساعدة/AJUDA), read from the catalogues.

Each command's word is a ``pgettext("command", ...)`` entry, so translators give the alias and the
catalogue check makes sure every language has one. Words are compared in a folded form (see
:func:`normalise_word`), so people may type them as they write: any case, with or without accents,
Arabic letter variants and an optional article, and multi-word commands with spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from bot.config import LANGUAGES
from bot.core.i18n import N_, translator


def pgettext(context: str, message: str) -> str:
    """Extraction marker: Babel reads the literal; the translation is looked up per language later."""
    return message


COMMAND, SUBCOMMAND = "command", "subcommand"  # catalogue contexts of the words people type
FIELD = "field"  # the words naming what a subcommand changes (``LETTER edit REF addressee …``)


# Flow buttons whose label, typed back, does what the command does (a person reads «Atrás» and types it).
BUTTON_WORDS: Mapping[str, str] = {"back": N_("Back"), "cancel": N_("Cancel")}
MAX_WORDS = 3  # the longest command word, in words («إلغاء الاشتراك», «cancelar inscrição»)

# Arabic letters people write interchangeably (hamza forms are handled by dropping combining marks).
_ARABIC_VARIANTS = str.maketrans({"ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك", "ـ": None})
_JOINERS = re.compile(r"[\s_\-]+")
_ARTICLE = "ال"


def _fold_part(part: str) -> str:
    decomposed = unicodedata.normalize("NFKD", part.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_ARABIC_VARIANTS)
    if bare.startswith(_ARTICLE) and len(bare) > len(_ARTICLE) + 1:
        bare = bare[len(_ARTICLE) :]  # «الحالات» and «حالات» are one word to a reader
    return bare


def normalise_word(word: str) -> str:
    """The form words are compared in: ``/AYUDA``, ``ayuda``; ``ATRÁS``, ``atras``; «الغاء», «إلغاء»;
    ``mis casos``, ``mis_casos``, ``MisCasos`` all fold alike.

    Folds case, accents and Arabic diacritics (NFKD, combining marks dropped), Arabic letter variants
    (أ إ آ ٱ → ا, ة → ه, ى → ي, tatweel removed), an Arabic article at the start of each word, and the
    spaces, underscores and hyphens between the words of a multi-word command.
    """
    return "".join(_fold_part(part) for part in _JOINERS.split(word.strip().lstrip("/")) if part)


def words_of(command: str, language: str, context: str = COMMAND) -> set[str]:
    """Every folded form a person of ``language`` may type for ``command`` (or a subcommand word)."""
    t = translator(language)
    words = {normalise_word(t.pgettext(context, command))}
    if context == COMMAND and command in BUTTON_WORDS:
        words.add(normalise_word(t.gettext(BUTTON_WORDS[command])))
    return words - {""}


def build_aliases(
    commands: Iterable[str], languages: Iterable[str] = LANGUAGES, context: str = COMMAND
) -> Mapping[str, str]:
    """Map every localised word (and the English word itself) to its canonical command.

    The same for the subcommand words of one group with ``context=SUBCOMMAND``.

    Raises:
        ValueError: when two commands share a word in some language, which would make typing ambiguous.
    """
    aliases: dict[str, str] = {}
    for command in commands:
        words = {normalise_word(command)}
        for language in languages:
            words |= words_of(command, language, context)
        for word in words:
            if aliases.get(word, command) != command:
                raise ValueError(f"command word {word!r} is used by {aliases[word]!r} and {command!r}")
            aliases[word] = command
    return aliases


def match_command(aliases: Mapping[str, str], text: str) -> tuple[str, str] | None:
    """The command ``text`` starts with and the rest of it, trying the longest multi-word command first."""
    words = text.strip().split()
    for count in range(min(MAX_WORDS, len(words)), 0, -1):
        if count > 1 and not normalise_word(words[count - 1]):
            continue  # «plazo -»: a dash after a word is a value ("none"), not part of the word
        command = aliases.get(normalise_word(" ".join(words[:count])))
        if command is not None:
            return command, " ".join(words[count:])
    return None


def same_word(typed: str, label: str) -> bool:
    """Whether ``typed`` is ``label`` as a person may type it (a button label typed instead of pressed)."""
    folded = normalise_word(typed)
    return bool(folded) and folded == normalise_word(label)


def word_problems(commands: Iterable[str], language: str, context: str = COMMAND) -> list[str]:
    """Command words of ``language`` that would make typing ambiguous.

    Two commands whose words fold alike (or differ only by an article) are refused, and so is a panic word
    that shares its verb with the erase-my-data button: a person in danger must not erase their account,
    nor a person erasing their account wipe a report by accident.
    """
    t = translator(language)
    problems: list[str] = []
    owners: dict[str, str] = {}
    for command in commands:
        for word in words_of(command, language, context):
            other = owners.setdefault(word, command)
            if other != command:
                problems.append(
                    f"{language}: {context}s {other!r} and {command!r} are both typed as {word!r} "
                    f"({localised_word(other, language, context)!r}, "
                    f"{localised_word(command, language, context)!r})"
                )
    if context != COMMAND:
        return problems
    panic = normalise_word(t.pgettext("command", "clear"))
    erase = {normalise_word(part) for part in t.gettext("Erase my data").split()}
    if panic in erase:
        problems.append(f"{language}: the panic word {localised_word('clear', language)!r} also erases data")
    return problems


def localised_word(command: str, language: str, context: str = COMMAND) -> str:
    """The word a person of ``language`` types for ``command`` (or for a subcommand, with ``SUBCOMMAND``)."""
    return translator(language).pgettext(context, command)
