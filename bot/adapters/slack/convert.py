"""Slack requests (events, slash commands, block actions, view submissions) → neutral events (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core.events import ActionEvent, Actor, ChatKind, ChatRef, CommandEvent, Event, FormEvent, TextEvent

PLATFORM = "slack"
MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


def chat_ref(team: str, channel: str) -> ChatRef:
    """A DM channel (``D…``) is private; anything else is a group.

    A bot cannot delete what a person posts on Slack, so no chat here has erasable input.
    """
    kind = ChatKind.PRIVATE if channel.startswith("D") else ChatKind.GROUP
    return ChatRef(PLATFORM, channel, team, kind, erasable_input=False)


def command(body: Mapping[str, Any], who: Actor) -> CommandEvent:
    """``/sos word args`` (``/sos`` alone is help); the trigger id identifies this delivery."""
    word, *args = str(body.get("text") or "").split() or ["help"]
    return CommandEvent(
        f"cmd:{body.get('trigger_id')}",
        who,
        chat_ref(str(body.get("team_id", "")), str(body.get("channel_id", ""))),
        name=word.lstrip("/").lower(),
        args=tuple(args),
        form_token=str(body.get("trigger_id")) if body.get("trigger_id") else None,
    )


def message(body: Mapping[str, Any], event: Mapping[str, Any], who: Actor) -> Event | None:
    """A DM becomes text; a mention in a channel becomes a command (``@sos help``)."""
    team = str(body.get("team_id", ""))
    chat = chat_ref(team, str(event.get("channel", "")))
    text = str(event.get("text") or "")
    event_id = f"ev:{body.get('event_id')}"
    if event.get("type") == "app_mention":
        words = MENTION.sub("", text).split()
        if not words:
            return None
        return CommandEvent(event_id, who, chat, name=words[0].lstrip("/").lower(), args=tuple(words[1:]))
    if not chat.is_private:
        return None  # channel chatter is not for the bot
    return TextEvent(event_id, who, chat, text=text)


def action(body: Mapping[str, Any], who: Actor) -> ActionEvent:
    """A button press: value ``action:payload``, the message's ts as its id."""
    pressed = (body.get("actions") or [{}])[0]
    name, _, payload = str(pressed.get("value", "")).partition(":")
    channel = str(
        (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    )
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    return ActionEvent(
        f"act:{body.get('trigger_id')}:{pressed.get('action_ts', '')}",
        who,
        chat_ref(str((body.get("team") or {}).get("id", "")), channel),
        action=name,
        payload=payload,
        message_id=str(message_ts) if message_ts else None,
        form_token=str(body.get("trigger_id")) if body.get("trigger_id") else None,
    )


def form(body: Mapping[str, Any], who: Actor, dm_channel: str) -> FormEvent:
    """A modal's submitted inputs, as (block id, value) pairs; answers go to the person's DM."""
    view = body.get("view") or {}
    values: list[tuple[str, str]] = []
    for block_id, inputs in ((view.get("state") or {}).get("values") or {}).items():
        for element in inputs.values():
            value = element.get("value") or (element.get("selected_option") or {}).get("value") or ""
            values.append((str(block_id), str(value)))
    return FormEvent(
        f"view:{view.get('id')}:{body.get('trigger_id')}",
        who,
        chat_ref(str((body.get("team") or {}).get("id", "")), dm_channel),
        form=str(view.get("callback_id", "")),
        values=tuple(values),
    )
