"""Telegram updates → neutral events (no I/O here)."""

from __future__ import annotations

from telegram import Chat, Update, User

from bot.adapters.telegram.render import parse_callback
from bot.core.events import ActionEvent, Actor, ChatKind, ChatRef, CommandEvent, Event, TextEvent

PLATFORM = "telegram"


def actor(user: User) -> Actor:
    """The neutral actor for a Telegram user."""
    return Actor(PLATFORM, str(user.id), "", user.full_name, user.language_code)


def chat_ref(chat: Chat) -> ChatRef:
    """The neutral chat for a Telegram chat (supergroups are groups)."""
    kind = {Chat.PRIVATE: ChatKind.PRIVATE, Chat.CHANNEL: ChatKind.CHANNEL}.get(chat.type, ChatKind.GROUP)
    return ChatRef(PLATFORM, str(chat.id), "", kind, chat.title or "")


def to_event(update: Update, bot_username: str | None = None) -> Event | None:
    """The neutral event for an update, or None for updates the bot does not act on."""
    event_id = f"tg:{update.update_id}"
    query = update.callback_query
    if query is not None and query.message is not None:
        action, payload = parse_callback(query.data or "")
        return ActionEvent(
            event_id,
            actor(query.from_user),
            chat_ref(query.message.chat),
            action=action,
            payload=payload,
            message_id=str(query.message.message_id),
        )
    message = update.message
    if message is None or message.from_user is None or message.text is None or message.from_user.is_bot:
        return None
    who, where, text = actor(message.from_user), chat_ref(message.chat), message.text
    if text.startswith("/") and len(text) > 1:
        word, *args = text[1:].split()
        name, _, addressee = word.partition("@")
        if addressee and bot_username and addressee.lower() != bot_username.lower():
            return None  # a command for another bot in the same group
        return CommandEvent(event_id, who, where, name=name.lower(), args=tuple(args))
    return TextEvent(event_id, who, where, text=text, message_id=str(message.message_id))
