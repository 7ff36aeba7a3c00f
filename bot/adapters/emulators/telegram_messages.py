"""The Telegram emulator's message methods: send, edit, delete, answer button presses.

Each refuses what the real Bot API refuses (bad HTML, over-long texts, unknown messages, "not modified"),
with the same descriptions, so the adapter's error handling is exercised for real.
"""

from __future__ import annotations

import itertools
from typing import Any

from bot.adapters.emulators.telegram_html import check_markup, check_text
from bot.adapters.emulators.telegram_model import Chat, Message, error, message_json


class MessagesMixin:
    """Messages in the emulated chats; mixed into the emulator."""

    chats: dict[int, Chat]
    messages: dict[int, list[Message]]
    bot_user: dict[str, Any]
    callback_answers: dict[str, str]
    _message_ids: itertools.count[int]
    _open_queries: set[str]

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        visible = check_text(str(params.get("text", "")), params.get("parse_mode"))
        return self._send(params, str(params.get("text", "")), visible)

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        caption = str(params.get("caption", ""))
        visible = check_text(caption, params.get("parse_mode"), caption=True)
        return self._send(params, caption, visible, str(params.get("document_name", "document")))

    def _send(self, params: dict[str, Any], text: str, visible: str, document: str | None = None) -> Any:
        check_markup(params.get("reply_markup"))
        chat_id = int(params["chat_id"])
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        if reply_to and not reply.get("allow_sending_without_reply"):
            if not any(m.message_id == reply_to and not m.deleted for m in self.messages[chat_id]):
                return error(400, "Bad Request: message to be replied not found")
        message = self._store(chat_id, text, params.get("reply_markup"), params.get("parse_mode"), visible)
        message.reply_to, message.document = reply_to, document
        return message_json(message, self.chats[chat_id], self.bot_user)

    def _store(
        self,
        chat_id: int,
        text: str,
        reply_markup: dict[str, Any] | None = None,
        parse_mode: str | None = None,
        visible: str | None = None,
    ) -> Message:
        self.chats.setdefault(chat_id, Chat(chat_id, "private" if chat_id > 0 else "supergroup"))
        message = Message(
            next(self._message_ids), chat_id, text, True, reply_markup, parse_mode, visible=visible
        )
        self.messages[chat_id].append(message)
        return message

    def bot_message(self, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None) -> Message:
        """A message the bot already sent (setting up a scene, e.g. a published letter in many chats)."""
        return self._store(chat_id, text, reply_markup)

    def find(self, chat_id: int, message_id: int) -> Message | None:
        """A message that exists (not deleted) in a chat."""
        return next((m for m in self.messages[chat_id] if m.message_id == message_id and not m.deleted), None)

    def _target(self, params: dict[str, Any]) -> Message | None:
        return self.find(int(params["chat_id"]), int(params["message_id"]))

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._target(params)
        if message is None:
            return error(400, "Bad Request: message to edit not found")
        text, markup = str(params.get("text", "")), params.get("reply_markup")
        visible = check_text(text, params.get("parse_mode"))
        check_markup(markup)
        if message.visible == visible and message.reply_markup == markup:
            return error(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        message.text, message.visible, message.edited = text, visible, True
        message.reply_markup, message.parse_mode = markup, params.get("parse_mode")
        return message_json(message, self.chats[message.chat_id], self.bot_user)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._target(params)
        if message is None:
            return error(400, "Bad Request: message to edit not found")
        check_markup(params.get("reply_markup"))
        if message.reply_markup == params.get("reply_markup"):
            return error(400, "Bad Request: message is not modified")
        message.reply_markup, message.edited = params.get("reply_markup"), True
        return message_json(message, self.chats[message.chat_id], self.bot_user)

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        message = self._target(params)
        if message is None:
            return error(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    async def _m_deleteMessages(self, params: dict[str, Any]) -> Any:
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            return error(400, "Bad Request: message identifiers are not specified")
        if len(ids) > 100:
            return error(400, "Bad Request: too many messages to delete")
        for message_id in ids:  # as the Bot API: messages that cannot be found are skipped
            message = self.find(int(params["chat_id"]), int(message_id))
            if message is not None:
                message.deleted = True
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            return error(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(query_id)
        self.callback_answers[query_id] = str(params.get("text") or "")
        return True
