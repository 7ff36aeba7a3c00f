"""Neutral messages → Telegram HTML with inline keyboards, split within Telegram's 4,096-character limit.

Telegram counts the limit on the text people see (after HTML entities are parsed), in UTF-16 code units,
so parts are measured before escaping; escaping (``&lt;`` for ``<``) never changes what is counted.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.events import Button

MAX_MESSAGE = 4096
RLM = "\u200f"  # right-to-left mark: Telegram aligns a message by its first strong character
ELLIPSIS = "…"


def callback_data(button: Button) -> str:
    """Compact callback data, ``action:payload`` (the Button type guarantees ≤ 64 bytes)."""
    return f"{button.action}:{button.payload}"


def parse_callback(data: str) -> tuple[str, str]:
    """``action:payload`` back into its parts (a payload may itself contain colons)."""
    action, _, payload = data.partition(":")
    return action, payload


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard, or None when there are no buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=callback_data(b)) for b in row] for row in rows if row]
    )


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> tuple[str, str]:
    """The longest head of ``line`` within ``limit`` units, preferably ending at a space; and the rest."""
    end = min(len(line), limit)
    while end > 0 and units(line[:end]) > limit:
        end -= 1
    end = max(end, 1)  # always progress, even past a character wider than the limit
    space = line.rfind(" ", 0, end)
    if end < len(line) and space > end // 2:
        end = space + 1  # keep the space on the first part so no text is lost
    return line[:end], line[end:]


def split_plain(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` units, on line boundaries when lines allow it.

    Joining the parts with newlines gives the text back, except where a single line longer than the
    limit had to be cut (there the cut adds a line break).
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while units(line) > limit:
            head, line = _cut(line, limit)
            if current:
                parts.append("\n".join(current))
                current, size = [], 0
            parts.append(head)
        extra = units(line) + (1 if current else 0)
        if current and size + extra > limit:
            parts.append("\n".join(current))
            current, size, extra = [], 0, units(line)
        current.append(line)
        size += extra
    parts.append("\n".join(current))
    return parts


def html_parts(text: str, rtl: bool = False, limit: int = MAX_MESSAGE) -> list[str]:
    """Escape ``text`` for HTML parse mode, in parts within ``limit``; RTL parts start with U+200F."""
    prefix = RLM if rtl else ""
    return [prefix + html.escape(part, quote=False) for part in split_plain(text, limit - len(prefix))]


def html_single(text: str, rtl: bool = False, limit: int = MAX_MESSAGE) -> str:
    """One message's HTML for an edit (a message cannot become two): cut with an ellipsis when too long."""
    prefix = RLM if rtl else ""
    parts = split_plain(text, limit - len(prefix) - len(ELLIPSIS))
    shown = parts[0] + ELLIPSIS if len(parts) > 1 else parts[0]
    return prefix + html.escape(shown, quote=False)
