"""Catalogue check run by the test command: ``python -m bot.core.i18n_check``.

Fails (exit 1) when:
- a message used in the code is missing, untranslated or fuzzy in any of the five catalogues;
- a translation's plural forms do not match the language's CLDR plural count (Arabic has six);
- a translation's ``{placeholders}`` differ from the original's;
- a user-facing call (``reply``, ``edit``, ``notice``, ``Button``, messages) is given a literal string
  instead of a translated one;
- gettext (``_``, ``gettext``, ``ngettext``, ``pgettext``) is called inside an f-string, where extraction
  misses the literal and the translation is glued into an untranslated sentence;
- a catalogue's ``Plural-Forms`` header chooses a form other than CLDR's (see :mod:`bot.core.plural_forms`);
- two command words of one language fold to the same typed form (see :mod:`bot.core.commands`), or two
  subcommand words of one group do.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.config import LANGUAGES
from bot.core.commands import FIELD, SUBCOMMAND, build_aliases, word_problems
from bot.core.i18n import DOMAIN, LOCALES_DIR
from bot.core.plural_forms import header_problems

ROOT = LOCALES_DIR.parent
SOURCE_DIRS = ("bot", "handlers", "storage")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "pgettext": ((1, "c"), 2)}
USER_FACING_CALLS = {"reply", "edit", "notice", "Button", "OutgoingMessage", "Edit", "Notice"}
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def extracted() -> set[tuple[str | None, str]]:
    """(context, msgid) of every translatable message in the source."""
    found: set[tuple[str | None, str]] = set()
    for directory in SOURCE_DIRS:
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / directory,
            method_map=[
                ("**.py", "bot.core.i18n_extract:extract"),
                ("**/templates/**.html", "jinja2.ext:babel_extract"),  # the dashboard's pages
            ],
            keywords=KEYWORDS,
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.add((context, msgid))
    return found


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check_catalogue(
    language: str, wanted: set[tuple[str | None, str]], locales: Path = LOCALES_DIR
) -> list[str]:
    """Problems of one language's catalogue (under ``locales``)."""
    path = locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return [f"{language}: {path} is missing"]
    with path.open("rb") as handle:
        catalog: Catalog = read_po(handle, locale=language)
    expected_forms = catalog.num_plurals
    problems = header_problems(language, catalog.num_plurals, catalog.plural_expr)
    for context, msgid in sorted(wanted, key=lambda item: item[1]):
        message = catalog.get(msgid, context=context)
        label = f"{language}: {msgid[:60]!r}"
        if message is None:
            problems.append(f"{label} is missing (run `make i18n`)")
            continue
        if message.fuzzy:
            problems.append(f"{label} is fuzzy")
        strings = tuple(
            str(s or "") for s in (message.string if isinstance(message.string, tuple) else (message.string,))
        )
        if not all(strings):
            problems.append(f"{label} is untranslated")
            continue
        if isinstance(message.id, tuple) and len(strings) != expected_forms:
            problems.append(f"{label} has {len(strings)} plural forms, expected {expected_forms}")
        originals = tuple(str(o) for o in (message.id if isinstance(message.id, tuple) else (message.id,)))
        allowed = set().union(*(_placeholders(o) for o in originals))
        for string in strings:
            if not _placeholders(string) <= allowed:
                problems.append(
                    f"{label} uses placeholders {_placeholders(string) - allowed} not in the original"
                )
    return problems


def _literal(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() != "") or (
        isinstance(node, ast.JoinedStr)
    )


def source_files() -> list[Path]:
    """The modules whose calls are checked for untranslated literals."""
    return sorted(
        path
        for directory in ("handlers", "bot/core", "bot/adapters")
        for path in (ROOT / directory).rglob("*.py")
    )


def untranslated_literals(files: Iterable[Path] | None = None) -> Iterator[str]:
    """Places where a user-facing call receives a literal string rather than a translation."""
    for path in files if files is not None else source_files():
        if "emulators" in path.parts:
            continue  # the emulators play the platforms and their users; nothing there is the bot speaking
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name not in USER_FACING_CALLS:
                continue
            text_args = node.args[:2] if name in {"OutgoingMessage", "Edit", "Notice"} else node.args[:1]
            for arg in text_args:
                if _literal(arg):
                    yield f"{path.name}:{node.lineno}: literal text given to {name}()"


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def gettext_in_fstrings(files: Iterable[Path] | None = None) -> Iterator[str]:
    """Places where a gettext call sits inside an f-string (translate a whole message with placeholders)."""
    paths = files if files is not None else sorted(p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py"))
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FormattedValue):
                continue
            for inner in ast.walk(node.value):
                if isinstance(inner, ast.Call) and _call_name(inner) in GETTEXT_CALLS:
                    yield f"{path.name}:{inner.lineno}: {_call_name(inner)}() inside an f-string"


def command_word_problems(commands: Iterable[str] | None = None) -> list[str]:
    """Command words that fold alike within a language, or across languages, or clash with the erase button;
    and the same for the subcommand words of each group (``APPEAL send``, ``CASE REF link``)."""
    groups: dict[str, list[str]] = {}
    fields: dict[str, list[str]] = {}
    if commands is None:
        from handlers import build_router  # the check reads what the bot serves (a tool, not a layer)

        router = build_router()
        commands = list(router.commands)
        groups = {name: list(group.subs) for name, group in router.groups.items()}
        fields = {f"{name} {sub.word}": list(sub.fields.words) for name, group in router.groups.items()
                  for sub in group.subs.values() if sub.fields}  # fmt: skip
    commands = list(commands)
    problems = [p for language in LANGUAGES for p in word_problems(commands, language)]
    try:
        build_aliases(commands)
    except ValueError as error:
        problems.append(f"across languages: {error}")
    for name, subs in groups.items():
        problems += subcommand_word_problems(name, subs)
    for name, words in fields.items():
        problems += subcommand_word_problems(name, words, FIELD)
    return problems


def subcommand_word_problems(group: str, subs: Iterable[str], context: str = SUBCOMMAND) -> list[str]:
    """Subcommand words of one group (or field words of one subcommand, with ``FIELD``) that fold alike
    within a language or across languages."""
    subs = list(subs)
    problems = [f"{group}: {p}" for language in LANGUAGES for p in word_problems(subs, language, context)]
    try:
        build_aliases(subs, context=context)
    except ValueError as error:
        problems.append(f"{group}, across languages: {error}")
    return problems


def main() -> int:
    """Print every problem; exit 1 if there is one."""
    wanted = extracted()
    problems = [p for language in LANGUAGES for p in check_catalogue(language, wanted)]
    problems += list(untranslated_literals())
    problems += list(gettext_in_fstrings())
    problems += command_word_problems()
    for problem in problems:
        print(problem)
    if problems:
        print(f"i18n check: {len(problems)} problem(s)")
        return 1
    print(f"i18n check: {len(wanted)} messages complete in {len(LANGUAGES)} languages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
