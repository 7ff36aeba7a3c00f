"""Neutral messages → Slack Block Kit: escaped mrkdwn sections and button rows, split within Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.events import Button, Form

MAX_SECTION = 3000  # characters of text in one section block
MAX_BLOCKS = 50  # blocks in one message


def escape(text: str) -> str:
    """Slack's three control characters, so user text cannot become a link, a mention or @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def button_value(button: Button) -> str:
    """The value carried back by a press: ``action:payload``."""
    return f"{button.action}:{button.payload}"


def _sections(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in escape(text).split("\n"):
        while len(line) > MAX_SECTION:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:MAX_SECTION])
            line = line[MAX_SECTION:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_SECTION:
            chunks.append(current)
            current = line
        else:
            current = candidate
    chunks.append(current)
    return [c for c in chunks if c] or [" "]


def _actions(rows: Sequence[Sequence[Button]]) -> list[dict[str, Any]]:
    blocks = []
    for row_index, row in enumerate(rows):
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": b.label[:75], "emoji": True},
                "action_id": f"sos-{row_index}-{index}",
                "value": button_value(b),
            }
            for index, b in enumerate(row)
        ]
        blocks.append({"type": "actions", "block_id": f"actions-{row_index}", "elements": elements})
    return blocks


def messages(text: str, buttons: Sequence[Sequence[Button]] = ()) -> list[tuple[str, list[dict[str, Any]]]]:
    """One or more (fallback text, blocks) pairs; the buttons ride on the last message."""
    sections: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in _sections(text)
    ]
    actions = _actions(buttons)
    out: list[tuple[str, list[dict[str, Any]]]] = []
    room = MAX_BLOCKS - len(actions)
    while len(sections) > room:
        batch, sections = sections[:MAX_BLOCKS], sections[MAX_BLOCKS:]
        out.append(("\n".join(b["text"]["text"] for b in batch), batch))
    last = sections + actions
    out.append(("\n".join(b["text"]["text"] for b in sections), last))
    return out


def modal(form: Form) -> dict[str, Any]:
    """A Block Kit modal with one plain-text input per field; the block ids are the field keys."""
    return {
        "type": "modal",
        "callback_id": form.form,
        "title": {"type": "plain_text", "text": form.title[:24]},
        "submit": {"type": "plain_text", "text": form.submit[:24]},
        "blocks": [
            {
                "type": "input",
                "block_id": field.key,
                "label": {"type": "plain_text", "text": field.label[:2000]},
                "element": {"type": "plain_text_input", "action_id": field.key, "multiline": field.multiline},
            }
            for field in form.fields
        ],
    }
