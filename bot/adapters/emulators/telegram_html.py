"""The Bot API's checks on message text: HTML parse mode, lengths, inline keyboards.

Strict where Telegram is strict (a stray ``<`` or an unsupported tag fails the whole message), so a bot
that forgets to escape what people typed fails in tests exactly as it would in production.
"""

from __future__ import annotations

import html
import re
from typing import Any

MAX_TEXT = 4096  # characters after entity parsing, counted in UTF-16 code units
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
SUPPORTED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
PARSE_ERROR = "Bad Request: can't parse entities: "
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


class TextError(ValueError):
    """The Bot API would refuse this text; the message is its ``description``."""


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(source: str, parse_mode: str | None) -> str:
    """What a person sees for ``source`` in ``parse_mode``.

    Raises:
        TextError: "can't parse entities" for bad HTML, as the real API answers.
    """
    if (parse_mode or "").upper() != "HTML":
        return source
    out: list[str] = []
    open_tags: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            offset = len(source[:index].encode())
            match = _TAG.match(source, index)
            if match is None:
                raise TextError(f"{PARSE_ERROR}Unexpected end of name token at byte offset {offset}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in SUPPORTED_TAGS:
                kind = "end" if closing else "start"
                raise TextError(f'{PARSE_ERROR}Unsupported {kind} tag "{name}" at byte offset {offset}')
            if not closing:
                open_tags.append(name)
            elif not open_tags or open_tags[-1] != name:
                expected = f'"</{open_tags[-1]}>"' if open_tags else "no end tag"
                raise TextError(
                    f"{PARSE_ERROR}Unmatched end tag at byte offset {offset}, "
                    f'expected {expected}, found "</{name}>"'
                )
            else:
                open_tags.pop()
            index = match.end()
            continue
        if char == "&" and (entity := _ENTITY.match(source, index)) is not None:
            out.append(html.unescape(entity.group(0)))
            index = entity.end()
            continue
        out.append(char)  # Telegram keeps a bare "&" or ">" as it is
        index += 1
    if open_tags:
        raise TextError(f'{PARSE_ERROR}Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(out)


def check_text(source: str, parse_mode: str | None, *, caption: bool = False) -> str:
    """The visible text of a message (or caption) the API would accept.

    Raises:
        TextError: bad entities, an empty message, or one over the length limit.
    """
    visible = visible_text(source, parse_mode)
    if caption:
        if utf16_length(visible) > MAX_CAPTION:
            raise TextError("Bad Request: message caption is too long")
        return visible
    if not visible.strip():
        raise TextError("Bad Request: message text is empty")
    if utf16_length(visible) > MAX_TEXT:
        raise TextError("Bad Request: message is too long")
    return visible


def check_markup(markup: Any) -> None:
    """Refuse inline keyboards the API refuses: bad shape, or callback data outside 1..64 bytes.

    Raises:
        TextError: with the real API's description.
    """
    if markup is None:
        return
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise TextError("Bad Request: can't parse reply keyboard markup JSON object")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise TextError(
                "Bad Request: can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
            raise TextError("Bad Request: BUTTON_DATA_INVALID")
