"""Neutral messages → Telegram HTML with inline keyboards, split within Telegram's 4,096-character limit."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.events import Button

MAX_MESSAGE = 4096
RLM = "\u200f"  # right-to-left mark: Telegram aligns a message by its first strong character


def callback_data(button: Button) -> str:
    """Compact callback data, ``action:payload`` (the Button type guarantees ≤ 64 bytes)."""
    return f"{button.action}:{button.payload}"


def parse_callback(data: str) -> tuple[str, str]:
    """``action:payload`` back into its parts."""
    action, _, payload = data.partition(":")
    return action, payload


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard, or None when there are no buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=callback_data(b)) for b in row] for row in rows]
    )


def html_parts(text: str, rtl: bool = False, limit: int = MAX_MESSAGE) -> list[str]:
    """Escape user text for HTML parse mode and split it on line boundaries within ``limit``."""
    prefix = RLM if rtl else ""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = [line[i : i + limit // 2] for i in range(0, len(line), limit // 2)] or [""]
        for piece in pieces:
            escaped = html.escape(piece, quote=False)
            candidate = f"{current}\n{escaped}" if current else escaped
            if len(prefix + candidate) > limit:
                parts.append(prefix + current)
                current = escaped
            else:
                current = candidate
    parts.append(prefix + current)
    return parts
