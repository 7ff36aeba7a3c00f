"""Telegram updates → neutral events (no I/O here)."""

from __future__ import annotations

from telegram import Chat, ChatMember, ChatMemberRestricted, Update, User

from bot.adapters.telegram.render import parse_callback
from bot.core.events import ActionEvent, Actor, ChatKind, ChatRef, CommandEvent, Event, TextEvent

PLATFORM = "telegram"
PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)
MEDIA = ("photo", "video", "voice", "audio", "document", "sticker", "animation", "video_note", "location",
         "contact")  # fmt: skip


def actor(user: User) -> Actor:
    """The neutral actor for a Telegram user."""
    return Actor(PLATFORM, str(user.id), "", user.full_name, user.language_code)


def chat_ref(chat: Chat) -> ChatRef:
    """The neutral chat for a Telegram chat (supergroups are groups)."""
    kind = {Chat.PRIVATE: ChatKind.PRIVATE, Chat.CHANNEL: ChatKind.CHANNEL}.get(chat.type, ChatKind.GROUP)
    return ChatRef(PLATFORM, str(chat.id), "", kind, chat.title or "")


def event_id(update: Update) -> str:
    """The dedup id: Telegram's own update id, identical on every redelivery of the update."""
    return f"tg:{update.update_id}"


def bot_is_member(member: ChatMember) -> bool:
    """Whether a ``my_chat_member`` status means the bot is in the chat (a restricted bot still is)."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in PRESENT


def parse_command(text: str, bot_username: str | None) -> tuple[str, tuple[str, ...]] | None:
    """``/cmd@botname a b`` → ``("cmd", ("a", "b"))``; None when addressed to another bot or not a command."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None
    word, *args = text[1:].split()
    name, _, addressee = word.partition("@")
    if not name or (addressee and bot_username and addressee.lower() != bot_username.lower()):
        return None
    return name.lower(), tuple(args)


def to_event(update: Update, bot_username: str | None = None) -> Event | None:
    """The neutral event for an update, or None for updates the bot does not act on."""
    query = update.callback_query
    if query is not None:
        if query.message is None:
            return None  # a button on an inline-mode message: the bot posts none
        action, payload = parse_callback(query.data or "")
        return ActionEvent(
            event_id(update),
            actor(query.from_user),
            chat_ref(query.message.chat),
            action=action,
            payload=payload,
            message_id=str(query.message.message_id),
        )
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None  # edits, channel posts and other bots' messages are not for the handlers
    if message.text is None:
        media = next((kind for kind in MEDIA if getattr(message, kind, None)), None)
        if media is None or message.chat.type != Chat.PRIVATE:
            return None  # service messages, and files in groups, are not for the bot
        # The file and its caption are never read: the handler answers and deletes the message.
        return TextEvent(
            event_id(update),
            actor(message.from_user),
            chat_ref(message.chat),
            message_id=str(message.message_id),
            media=media,
        )
    who, where, text = actor(message.from_user), chat_ref(message.chat), message.text
    if text.startswith("/"):
        command = parse_command(text, bot_username)
        if command is None and "@" in text.split()[0]:
            return None  # a command for another bot in the same group
        if command is not None:
            return CommandEvent(event_id(update), who, where, name=command[0], args=command[1])
    return TextEvent(event_id(update), who, where, text=text, message_id=str(message.message_id))
