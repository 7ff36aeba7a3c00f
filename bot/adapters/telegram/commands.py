"""The command menu Telegram shows next to the text box, one per language.

Only commands everyone may use are listed (routes open to defenders, with a summary), under the word a
person of that language types, described in that language.
"""

from __future__ import annotations

import re

from telegram import BotCommand

from bot.config import LANGUAGES
from bot.core.commands import localised_word
from bot.core.i18n import translator
from bot.core.router import Router

COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
MAX_DESCRIPTION = 256


def menu_word(command: str, language: str) -> str:
    """The localised word when Telegram allows it as a command name, else the English word."""
    word = localised_word(command, language).strip().lower()
    return word if COMMAND_NAME.fullmatch(word) else command


def menu(router: Router, language: str) -> list[BotCommand]:
    """The public commands in ``language``, in the order the handlers registered them."""
    t = translator(language)
    commands: list[BotCommand] = []
    seen: set[str] = set()
    for name, route in router.public_commands():
        assert route.summary is not None
        word = menu_word(name, language)
        if word in seen or not COMMAND_NAME.fullmatch(word):
            continue  # two commands falling back to one word: Telegram refuses the whole list
        seen.add(word)
        commands.append(BotCommand(word, t.gettext(route.summary)[:MAX_DESCRIPTION]))
    return commands


def menus(router: Router) -> dict[str, list[BotCommand]]:
    """The menu of every supported language."""
    return {language: menu(router, language) for language in LANGUAGES}
