"""Command words and their localised aliases (HELP/AYUDA/AIDE/مساعدة/AJUDA), read from the catalogues.

Each command's word is a ``pgettext("command", ...)`` entry, so translators give the alias and the
catalogue check makes sure every language has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.config import LANGUAGES
from bot.core.i18n import translator


def pgettext(context: str, message: str) -> str:
    """Extraction marker: Babel reads the literal; the translation is looked up per language later."""
    return message


# The canonical (English) command words; every command registered by a handler must be listed here.
COMMAND_WORDS: tuple[str, ...] = (
    pgettext("command", "start"),
    pgettext("command", "help"),
    pgettext("command", "language"),
    pgettext("command", "join"),
    pgettext("command", "forget"),
    pgettext("command", "cancel"),
    pgettext("command", "orgs"),
    pgettext("command", "verify"),
    pgettext("command", "people"),
    pgettext("command", "grant"),
    pgettext("command", "revoke"),
    pgettext("command", "audit"),
    pgettext("command", "link"),
    pgettext("command", "channel"),
    pgettext("command", "channels"),
    pgettext("command", "subscribe"),
    pgettext("command", "unsubscribe"),
    pgettext("command", "appeal"),
    pgettext("command", "settings"),
    pgettext("command", "report"),
    pgettext("command", "back"),
    pgettext("command", "clear"),
    pgettext("command", "cases"),
    pgettext("command", "case"),
    pgettext("command", "status"),
    pgettext("command", "assign"),
    pgettext("command", "note"),
    pgettext("command", "reply"),
    pgettext("command", "mycases"),
    pgettext("command", "letter"),
    pgettext("command", "withdraw"),
)


def normalise_word(word: str) -> str:
    """Casefold and drop a leading slash, so ``/AYUDA`` and ``ayuda`` match alike."""
    return word.strip().lstrip("/").casefold()


def build_aliases(commands: Iterable[str], languages: Iterable[str] = LANGUAGES) -> Mapping[str, str]:
    """Map every localised word (and the English word itself) to its canonical command.

    Raises:
        ValueError: when two commands share a word in some language, which would make typing ambiguous.
    """
    aliases: dict[str, str] = {}
    for command in commands:
        words = {normalise_word(command)}
        words |= {normalise_word(translator(lang).pgettext("command", command)) for lang in languages}
        for word in words:
            if aliases.get(word, command) != command:
                raise ValueError(f"command word {word!r} is used by {aliases[word]!r} and {command!r}")
            aliases[word] = command
    return aliases


def localised_word(command: str, language: str) -> str:
    """The word a person of ``language`` types for ``command``."""
    return translator(language).pgettext("command", command)
