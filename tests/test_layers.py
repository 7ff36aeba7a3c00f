"""The layers of DESIGN.md hold: storage imports nothing from bot/, handlers no platform SDK, adapters neither
the composition root nor storage (they talk to the core through bot.core.host.Host)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports(folder: str, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(file, imported module) for every import under ``folder``."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative.startswith(skip):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                yield relative, node.module
            elif isinstance(node, ast.Import):
                yield from ((relative, alias.name) for alias in node.names)


@pytest.mark.parametrize(
    ("folder", "forbidden", "skip"),
    [
        ("storage", ("bot", "handlers"), ()),
        ("handlers", ("telegram", "slack_bolt", "slack_sdk", "bot.adapters", "bot.app"), ()),
        ("bot/adapters", ("bot.app", "storage", "handlers"), ("bot/adapters/emulators",)),
    ],
)
def test_layer_imports_nothing_above_it(
    folder: str, forbidden: tuple[str, ...], skip: tuple[str, ...]
) -> None:
    wrong = [
        (path, module)
        for path, module in imports(folder, skip)
        if any(module == name or module.startswith(name + ".") for name in forbidden)
    ]
    assert wrong == []
