"""Catalogue extraction that reads the router's declarations, so every typed word is listed once.

Babel's Python extractor finds ``_()``, ``N_()`` and ``pgettext()`` calls. On top of it this method reads the
words of ``router.command("appeal", …)`` and ``router.group("appeal", …)`` as ``pgettext("command", "appeal")``
and those of ``@group.sub("send", …)`` as ``pgettext("subcommand", "send")``: the router is the one registry of
command words, and the catalogue follows it (``babel.cfg`` names this method for ``**.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

from bot.core.commands import COMMAND, SUBCOMMAND

COMMAND_CALLS = {"command", "group"}  # router.command("word"), router.group("word")
SUB_CALL = "sub"  # @group.sub("word"), on a name assigned from router.group(...)


def router_words(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, context, word) of every command and subcommand word a module declares on its routers."""
    tree = ast.parse(source)
    groups = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _method(node.value) == "group"
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or not node.args:
            continue
        word = node.args[0]
        if not isinstance(word, ast.Constant) or not isinstance(word.value, str):
            continue
        receiver = node.func.value
        name = receiver.id if isinstance(receiver, ast.Name) else ""
        if node.func.attr in COMMAND_CALLS and "router" in name:
            yield node.lineno, COMMAND, word.value
        elif node.func.attr == SUB_CALL and name in groups:
            yield node.lineno, SUBCOMMAND, word.value


def _method(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def extract(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Any]:
    """Babel extraction method: the Python extractor's messages, then the router's words."""
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[arg-type]
    for line, context, word in router_words(source.decode("utf-8")):
        yield line, "pgettext", (context, word), []
