"""What the Telegram emulator keeps and answers with: users, chats, messages, calls, failures, Bot API JSON.

Kept apart from the server (``telegram.py``) so the shapes the real API uses are in one readable place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

# Form fields python-telegram-bot sends as plain strings; every other field is JSON-encoded when complex.
RAW_TEXT_FIELDS = frozenset(
    {"text", "caption", "callback_query_id", "secret_token", "url", "data", "description", "language_code"}
)
# Accepted spellings of each failure kind ``inject`` knows (ints and the Bot API's own words alike).
FAILURE_KINDS: dict[str, str] = {
    "429": "429",
    "rate_limited": "429",
    "403": "403",
    "blocked": "403",
    "400": "chat_not_found",
    "chat_not_found": "chat_not_found",
    "not_found": "chat_not_found",
    "migrated": "migrated",
    "500": "500",
    "502": "502",
    "slow": "slow",
    "timeout": "slow",
}
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


@dataclass
class Call:
    """One request the bot made: the method, its decoded parameters and ``time.monotonic()`` on arrival;
    ``in_webhook_answer`` when it came as the answer to a webhook POST rather than as a request of its own."""

    method: str
    params: dict[str, Any]
    at: float
    in_webhook_answer: bool = False


@dataclass
class Failure:
    """A failure to inject on the next ``times`` matching calls."""

    method: str
    kind: str  # a value of FAILURE_KINDS
    chat_id: int | str | None = None
    times: int = 1
    retry_after: int = 1
    delay: float = 0.0
    new_chat_id: int | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """True when this failure applies to a call of ``method`` with ``params``."""
        chat_matches = self.chat_id is None or str(self.chat_id) == str(params.get("chat_id"))
        return self.method in (method, "*") and chat_matches and self.times > 0


@dataclass
class Message:
    """A message in an emulated chat: ``text`` as sent (HTML source), ``visible`` as people see it."""

    message_id: int
    chat_id: int
    text: str
    from_bot: bool
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    edited: bool = False
    deleted: bool = False
    document: str | None = None
    reply_to: int | None = None
    visible: str | None = None
    date: int = 0

    def __post_init__(self) -> None:
        if self.visible is None:
            self.visible = self.text
        self.date = self.date or int(time.time())

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass
class User:
    """A Telegram user the emulator plays."""

    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None
    last_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class Chat:
    """A chat the emulator knows: private (id > 0), group, supergroup or channel (id < 0)."""

    id: int
    type: str = "private"
    title: str | None = None
    first_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.first_name:
            data["first_name"] = self.first_name
        return data


def chat_full_info(chat: Chat) -> dict[str, Any]:
    """getChat's ``ChatFullInfo``: the chat plus the fields the current Bot API always sends."""
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
        True,
    )
    return {**chat.as_json(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


def member_json(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ``ChatMember`` object; administrators carry every right field, as the real API sends them."""
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        data.update(dict.fromkeys(ADMIN_RIGHTS, False))
        data.update(can_manage_chat=True, can_post_messages=True, can_edit_messages=True)
    if status == "kicked":
        data["until_date"] = 0
    return data


def message_json(message: Message, chat: Chat, bot_user: dict[str, Any]) -> dict[str, Any]:
    """The Bot API ``Message`` object for a message the bot sent (or edited)."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": bot_user,
        "chat": chat.as_json(),
        "date": message.date,
    }
    if message.document is not None:
        data["document"] = {"file_id": f"doc{message.message_id}", "file_unique_id": f"u{message.message_id}"}
        data["document"]["file_name"] = message.document
        if message.visible:
            data["caption"] = message.visible
    else:
        data["text"] = message.visible
    if message.edited:
        data["edit_date"] = int(time.time())
    if message.reply_markup:
        data["reply_markup"] = message.reply_markup
    return data


async def read_params(request: web.Request) -> dict[str, Any]:
    """A call's parameters from a query string, a form, a multipart body (files by name) or a JSON body."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        params.update(body if isinstance(body, dict) else {})
        return params
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename:
                # The file itself is not kept: its name is enough to show what was sent.
                params[f"{part.name}_name"] = part.filename
                await part.read()
                continue
            params[part.name] = await part.text()
    elif request.can_read_body:
        params.update(await request.post())
    return {key: value if key in RAW_TEXT_FIELDS else json_or_text(value) for key, value in params.items()}


def json_or_text(value: Any) -> Any:
    """A form value decoded as JSON when it is JSON (numbers, objects), else the string itself."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    """An error answer in the Bot API's shape, with the same HTTP status as ``error_code``."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def failure_response(failure: Failure, chat_id: Any) -> web.Response:
    """The answer for an injected failure (``slow`` is handled by the server: it delays, then answers)."""
    if failure.kind == "429":
        retry = max(1, int(failure.retry_after))
        return error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
    if failure.kind == "403":
        return error(403, "Forbidden: bot was blocked by the user")
    if failure.kind == "chat_not_found":
        return error(400, "Bad Request: chat not found")
    if failure.kind == "migrated":
        # A group's new supergroup id is -100 followed by digits, as the real API assigns them.
        new_id = failure.new_chat_id or int(f"-100{abs(int(chat_id or 1))}")
        return error(
            400, "Bad Request: group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": new_id}
        )
    if failure.kind == "502":
        return error(502, "Bad Gateway")
    return error(500, "Internal Server Error")
