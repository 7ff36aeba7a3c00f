"""The people the Telegram emulator plays: messages they type, buttons they press, groups adding the bot.

Each act becomes an Update with the real API's shape, delivered as the bot receives updates (long polling or
webhook), so the bot under test cannot tell the emulator from Telegram.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, overload

from bot.adapters.emulators.telegram_messages import MessagesMixin
from bot.adapters.emulators.telegram_model import Chat, Message, User, member_json

PRESENT = ("member", "administrator", "creator")


class PlayersMixin(MessagesMixin):
    """Acts of emulated users; mixed into :class:`~bot.adapters.emulators.telegram.TelegramEmulator`."""

    users: dict[int, User]
    _update_ids: itertools.count[int]
    _absent: dict[int, str]

    async def push(self, body: dict[str, Any], update_id: int | None = None) -> int:
        """Deliver an update (implemented by the emulator)."""
        raise NotImplementedError

    # Chats -------------------------------------------------------------------------------------------

    def private_chat(self, user: User) -> Chat:
        """The user's private chat with the bot (its id is the user's id, as on Telegram)."""
        self.users.setdefault(user.id, user)
        return self.chats.setdefault(user.id, Chat(user.id, "private", first_name=user.first_name))

    def group(self, chat_id: int, title: str, kind: str = "supergroup") -> Chat:
        """A group, supergroup or channel (negative id)."""
        return self.chats.setdefault(chat_id, Chat(chat_id, kind, title=title))

    def channel(self, chat_id: int, title: str) -> Chat:
        """A broadcast channel (negative id)."""
        return self.group(chat_id, title, "channel")

    # Acts --------------------------------------------------------------------------------------------

    @overload
    async def user_says(self, user: User, chat: Chat, text: str, /) -> int: ...
    @overload
    async def user_says(self, user: User, text: str, chat: Chat | None = None, /) -> int: ...

    async def user_says(self, user: User, first: Chat | str, second: Chat | str | None = None, /) -> int:
        """``user`` writes a message: ``user_says(user, chat, text)`` or ``user_says(user, text[, chat])``.

        The chat defaults to the user's private chat; a text starting with ``/`` carries a ``bot_command``
        entity, as Telegram clients send commands. Returns the update id.
        """
        chat, text = (first, second) if isinstance(first, Chat) else (second, first)
        assert isinstance(text, str) and (chat is None or isinstance(chat, Chat)), (
            "user_says(user, chat, text)"
        )
        chat = chat or self.private_chat(user)
        self.users.setdefault(user.id, user)
        message = Message(next(self._message_ids), chat.id, text, from_bot=False)
        self.messages[chat.id].append(message)
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat.as_json(),
            "from": user.as_json(),
            "text": text,
        }
        if text.startswith("/"):
            data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self.push({"message": data})

    async def user_sends_media(self, user: User, kind: str = "photo", caption: str | None = None) -> int:
        """``user`` sends a file (``photo``, ``document``, ``voice``...) with an optional caption, in private."""
        chat = self.private_chat(user)
        message = Message(next(self._message_ids), chat.id, caption or "", from_bot=False)
        message.document = kind
        self.messages[chat.id].append(message)
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat.as_json(),
            "from": user.as_json(),
        }
        file = {"file_id": f"f{message.message_id}", "file_unique_id": f"u{message.message_id}"}
        if kind == "photo":
            data["photo"] = [{**file, "width": 90, "height": 90}]
        elif kind == "voice":
            data["voice"] = {**file, "duration": 3}
        else:
            data[kind] = file
        if caption:
            data["caption"] = caption
        return await self.push({"message": data})

    @overload
    async def press(self, user: User, chat: Chat, message_id: int, callback_data: str, /) -> int: ...
    @overload
    async def press(self, user: User, message: Message, callback_data: str, /) -> int: ...

    async def press(
        self, user: User, target: Chat | Message, second: int | str, third: str | None = None, /
    ) -> int:
        """A button press: ``press(user, chat, message_id, data)`` or ``press(user, message, data)``.

        Sends a ``callback_query`` update; the bot must answer it (``callback_answers`` records the answer).
        Returns the update id.
        """
        if isinstance(target, Message):
            chat = self.chats.get(target.chat_id) or self.private_chat(user)
            message, data = target, str(second)
        else:
            chat, data = target, str(third)
            # A message the emulator never saw (or deleted) is pressed as Telegram would show it: bare.
            message = self.find(chat.id, int(second)) or Message(int(second), chat.id, "", from_bot=True)
        self.users.setdefault(user.id, user)
        query_id = f"cq{next(self._update_ids)}"
        self._open_queries.add(query_id)
        shown: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat.as_json(),
            "from": self.bot_user,
            "text": message.visible or "",
        }
        if message.reply_markup:
            shown["reply_markup"] = message.reply_markup
        query = {
            "id": query_id,
            "from": user.as_json(),
            "chat_instance": str(chat.id),
            "data": data,
            "message": shown,
        }
        return await self.push({"callback_query": query})

    async def press_button(self, user: User, message: Message, label: str) -> int:
        """Press the button labelled ``label`` of ``message``."""
        data = next(b["callback_data"] for b in message.buttons() if b["text"] == label)
        return await self.press(user, message, data)

    async def bot_added(self, chat: Chat, by: User, status: str | None = None) -> int:
        """``by`` adds the bot to a group (as member) or a channel (as administrator, the only way there)."""
        return await self._membership(
            chat, by, "left", status or ("administrator" if chat.type == "channel" else "member")
        )

    async def bot_removed(self, chat: Chat, by: User) -> int:
        """``by`` removes the bot from a group or channel; sending there then answers 403."""
        old = "administrator" if chat.type == "channel" else "member"
        return await self._membership(chat, by, old, "left")

    async def bot_membership(self, chat: Chat, by: User, member: bool) -> int:
        """The bot is added to (``member``) or removed from a group or channel."""
        return await (self.bot_added(chat, by) if member else self.bot_removed(chat, by))

    async def user_blocks_bot(self, user: User, blocked: bool = True) -> int:
        """``user`` blocks (or unblocks) the bot: a ``my_chat_member`` update in their private chat."""
        chat = self.private_chat(user)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        return await self._membership(chat, user, old, new)

    async def _membership(self, chat: Chat, by: User, old: str, new: str) -> int:
        self.users.setdefault(by.id, by)
        if new in PRESENT:
            self._absent.pop(chat.id, None)
        elif chat.type == "private":
            self._absent[chat.id] = "Forbidden: bot was blocked by the user"
        else:
            self._absent[chat.id] = f"Forbidden: bot was kicked from the {chat.type} chat"
        update = {
            "chat": chat.as_json(),
            "from": by.as_json(),
            "date": int(time.time()),
            "old_chat_member": member_json(old, self.bot_user),
            "new_chat_member": member_json(new, self.bot_user),
        }
        return await self.push({"my_chat_member": update})
