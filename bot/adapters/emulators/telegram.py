"""A loopback emulator of the Telegram Bot API, for the sandbox, the demo, the tests and the benchmarks.

It answers the methods the bot uses with the real API's JSON shapes and errors, keeps the chats' messages,
records every call, injects failures on demand, enforces the published rate limits when asked (with a time
scale so tests need not wait real seconds), and plays users: their messages, button presses and the bot
being added to groups reach the bot by long polling or by POSTs to its webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from bot.adapters.emulators.limits import SlidingWindow

RAW_TEXT_FIELDS = {"text", "caption", "callback_query_id", "secret_token", "url", "data", "description"}
SEND_METHODS = {"sendMessage", "sendDocument"}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Failure:
    """A failure to inject on the next matching calls."""

    method: str
    kind: str  # "429", "403", "chat_not_found", "migrated", "500", "slow"
    chat_id: int | None = None
    times: int = 1
    retry_after: int = 1
    delay: float = 0.0
    new_chat_id: int | None = None


@dataclass
class Message:
    """A message in an emulated chat."""

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


@dataclass
class User:
    """A Telegram user the emulator plays."""

    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Chat:
    """A chat the emulator knows: private (id > 0), group/supergroup/channel (id < 0)."""

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


@dataclass
class TelegramEmulator:
    """The emulated Bot API server. ``await start()`` returns the base URL for python-telegram-bot."""

    token: str = "123456:SANDBOX-TOKEN"
    rate_limits: bool = False
    time_scale: float = 1.0
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, list[Message]] = field(default_factory=lambda: defaultdict(list))
    chats: dict[int, Chat] = field(default_factory=dict)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    rate_limit_hits: int = 0
    bot_user: dict[str, Any] = field(
        default_factory=lambda: {"id": 123456, "is_bot": True, "first_name": "SOS", "username": "sos_bot"}
    )

    def __post_init__(self) -> None:
        self._failures: list[Failure] = []
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._changed = asyncio.Event()
        self._webhook: tuple[str, str | None] | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._last_offset = 0
        self.webhook_responses: list[int] = []
        scale = self.time_scale
        self._overall = SlidingWindow(30, 1.0 * scale)
        self._per_private: dict[int, SlidingWindow] = defaultdict(lambda: SlidingWindow(1, 1.0 * scale))
        self._per_group: dict[int, SlidingWindow] = defaultdict(lambda: SlidingWindow(20, 60.0 * scale))

    # Server ------------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on an ephemeral loopback port; returns the ``base_url`` (``http://host:port/bot``)."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{self.host}:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving and close the webhook client."""
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params, time.monotonic()))
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.kind == "slow":
                await asyncio.sleep(failure.delay)
            else:
                return _failure_response(failure)
        if method in SEND_METHODS and self.rate_limits:
            limited = self._rate_limited(int(params.get("chat_id", 0)))
            if limited is not None:
                return limited
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params)
        self._changed.set()
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self._failures:
            chat_matches = failure.chat_id is None or str(failure.chat_id) == str(params.get("chat_id"))
            if failure.method in (method, "*") and chat_matches and failure.times > 0:
                failure.times -= 1
                if failure.times == 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _rate_limited(self, chat_id: int) -> web.Response | None:
        now = time.monotonic()
        window = self._per_private[chat_id] if chat_id > 0 else self._per_group[chat_id]
        for limiter in (self._overall, window):
            wait = limiter.wait(now)
            if wait > 0:
                self.rate_limit_hits += 1
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {max(1, round(wait))}",
                        # The API reports whole seconds; the exact (scaled) wait goes in an extra field.
                        "parameters": {"retry_after": max(1, round(wait)), "retry_after_exact": wait},
                    },
                    status=429,
                )
        self._overall.add(now)
        window.add(now)
        return None

    # Failure injection and inspection ------------------------------------------------------------------

    def inject(
        self, method: str, kind: str, chat_id: int | None = None, times: int = 1, **options: Any
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``*`` for any) fail as ``kind``."""
        self._failures.append(Failure(method, kind, chat_id, times, **options))

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of ``method``."""
        return [call for call in self.calls if call.method == method]

    def messages_in(self, chat_id: int, *, from_bot: bool = True) -> list[Message]:
        """Messages in a chat (the bot's by default), deleted ones excluded."""
        return [m for m in self.messages[chat_id] if m.from_bot == from_bot and not m.deleted]

    def last_message(self, chat_id: int) -> Message:
        """The bot's latest message in a chat."""
        return self.messages_in(chat_id)[-1]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        """Wait until ``predicate()`` holds (checked after every call the bot makes)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the emulator did not see the expected calls in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    # Playing users -----------------------------------------------------------------------------------

    def private_chat(self, user: User) -> Chat:
        """The user's private chat with the bot."""
        return self.chats.setdefault(user.id, Chat(user.id, "private", first_name=user.first_name))

    def group(self, chat_id: int, title: str, kind: str = "supergroup") -> Chat:
        """A group, supergroup or channel (negative id)."""
        return self.chats.setdefault(chat_id, Chat(chat_id, kind, title=title))

    async def user_says(self, user: User, text: str, chat: Chat | None = None) -> int:
        """A user writes ``text`` (a ``/command`` gets its bot_command entity); returns the update id."""
        chat = chat or self.private_chat(user)
        message = Message(next(self._message_ids), chat.id, text, from_bot=False)
        self.messages[chat.id].append(message)
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": user.as_json(),
            "text": text,
        }
        if text.startswith("/"):
            data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self.push({"message": data})

    async def press(self, user: User, message: Message, callback_data: str) -> int:
        """A user presses an inline button of ``message``; returns the update id."""
        chat = self.chats.get(message.chat_id) or self.private_chat(user)
        query = {
            "id": f"cq{next(self._update_ids)}",
            "from": user.as_json(),
            "chat_instance": str(chat.id),
            "data": callback_data,
            "message": {
                "message_id": message.message_id,
                "date": int(time.time()),
                "chat": chat.as_json(),
                "from": self.bot_user,
                "text": message.text,
            },
        }
        return await self.push({"callback_query": query})

    async def press_button(self, user: User, message: Message, label: str) -> int:
        """Press the button labelled ``label`` of ``message``."""
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        data = next(b["callback_data"] for row in rows for b in row if b["text"] == label)
        return await self.press(user, message, data)

    async def bot_membership(self, chat: Chat, by: User, member: bool) -> int:
        """The bot is added to (``member``) or removed from a group or channel."""
        status_old, status_new = ("left", "member") if member else ("member", "left")
        update = {
            "chat": chat.as_json(),
            "from": by.as_json(),
            "date": int(time.time()),
            "old_chat_member": {"status": status_old, "user": self.bot_user},
            "new_chat_member": {"status": status_new, "user": self.bot_user},
        }
        return await self.push({"my_chat_member": update})

    async def push(self, body: dict[str, Any], update_id: int | None = None) -> int:
        """Deliver an update (by webhook if one is set, else to getUpdates); a given id replays one."""
        update = {"update_id": update_id if update_id is not None else next(self._update_ids), **body}
        if self._webhook is None:
            self._updates.append(update)
            self._new_update.set()
        else:
            url, secret = self._webhook
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            if self._session is None:
                self._session = aiohttp.ClientSession()
            async with self._session.post(url, json=update, headers=headers) as response:
                self.webhook_responses.append(response.status)
        return int(update["update_id"])

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        """POST an update to the registered webhook with any secret (to test a forged request)."""
        assert self._webhook is not None, "no webhook registered"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self._session.post(self._webhook[0], json=update, headers=headers) as response:
            return response.status

    # Bot API methods ---------------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self._webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        return list(itertools.islice(self._updates, limit))

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self._webhook = (str(params["url"]), params.get("secret_token"))
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self._webhook = None
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat = self.chats.get(int(params["chat_id"]))
        return chat.as_json() if chat else _error(400, "Bad Request: chat not found")

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._store(params, str(params.get("text", "")))

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        result = self._store(params, str(params.get("caption", "")))
        self.messages[int(params["chat_id"])][-1].document = str(params.get("document_name", "document"))
        return result

    def _store(self, params: dict[str, Any], text: str) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = self.chats.setdefault(chat_id, Chat(chat_id, "private" if chat_id > 0 else "supergroup"))
        reply = params.get("reply_parameters") or {}
        message = Message(
            next(self._message_ids),
            chat_id,
            text,
            from_bot=True,
            reply_markup=params.get("reply_markup"),
            parse_mode=params.get("parse_mode"),
            reply_to=reply.get("message_id") if isinstance(reply, dict) else None,
        )
        self.messages[chat_id].append(message)
        return {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat.as_json(),
            "text": text,
        }

    def bot_message(self, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None) -> Message:
        """A message the bot already sent (setting up a scene, e.g. a published letter in many chats)."""
        self._store({"chat_id": chat_id, "reply_markup": reply_markup}, text)
        return self.messages[chat_id][-1]

    def _find(self, params: dict[str, Any]) -> Message | None:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        return next((m for m in self.messages[chat_id] if m.message_id == message_id and not m.deleted), None)

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        if message.text == params.get("text") and message.reply_markup == params.get("reply_markup"):
            return _error(400, "Bad Request: message is not modified")
        message.text, message.edited = str(params.get("text", "")), True
        message.reply_markup, message.parse_mode = params.get("reply_markup"), params.get("parse_mode")
        return {"message_id": message.message_id, "date": int(time.time()), "text": message.text}

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        message.reply_markup, message.edited = params.get("reply_markup"), True
        return {"message_id": message.message_id, "date": int(time.time()), "text": message.text}

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        if message is None:
            return _error(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    """python-telegram-bot sends form fields whose complex values are JSON; plain JSON bodies work too."""
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body)
    params: dict[str, Any] = {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename:
                params[f"{part.name}_name"] = part.filename
                await part.read()
                continue
            params[part.name] = await part.text()
    else:
        params.update(await request.post())
        params.update(request.query)
    return {key: value if key in RAW_TEXT_FIELDS else _json_or_text(value) for key, value in params.items()}


def _json_or_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _failure_response(failure: Failure) -> web.Response:
    if failure.kind == "429":
        return _error(
            429, f"Too Many Requests: retry after {failure.retry_after}", {"retry_after": failure.retry_after}
        )
    if failure.kind == "403":
        return _error(403, "Forbidden: bot was blocked by the user")
    if failure.kind == "chat_not_found":
        return _error(400, "Bad Request: chat not found")
    if failure.kind == "migrated":
        return _error(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": failure.new_chat_id or -1001},
        )
    status = int(failure.kind) if failure.kind.isdigit() else 500
    return _error(status, "Internal Server Error" if status == 500 else "Bad Gateway")
