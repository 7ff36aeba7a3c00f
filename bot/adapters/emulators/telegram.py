"""A loopback emulator of the Telegram Bot API, for the sandbox, the demo, the tests and the benchmarks.

It answers the methods the bot uses with the real API's JSON shapes and errors, keeps the chats' messages,
records every call, injects failures on demand, enforces the published rate limits when asked, and plays
users (:mod:`bot.adapters.emulators.telegram_players`): their messages, button presses and the bot being
added to groups reach the bot by long polling or by POSTs to its webhook (whose answer may carry one method
call, as the Bot API allows).

Rate limits (``rate_limits=True``): 1 message per second in a private chat, 20 per minute in a group or
channel, 30 per second overall — each window multiplied by ``time_scale`` so tests can use 0.01. A breach
answers 429; ``parameters.retry_after`` is the scaled wait rounded up to whole seconds and at least 1 (the
real API only sends integers), and ``parameters.retry_after_exact`` carries the exact scaled wait in seconds.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapters.emulators.limits import SlidingWindow
from bot.adapters.emulators.telegram_html import TextError
from bot.adapters.emulators.telegram_model import (
    FAILURE_KINDS,
    Call,
    Chat,
    Failure,
    Message,
    User,
    chat_full_info,
    error,
    failure_response,
    read_params,
)
from bot.adapters.emulators.telegram_players import PlayersMixin

SEND_METHODS = frozenset({"sendMessage", "sendDocument"})
Predicate = Callable[[], bool] | Callable[[list[Call]], bool]

__all__ = ["Call", "Chat", "Failure", "Message", "TelegramEmulator", "User"]


@dataclass
class TelegramEmulator(PlayersMixin):
    """The emulated Bot API server. ``await start()`` returns the ``base_url`` for python-telegram-bot."""

    token: str = "123456:SANDBOX-TOKEN"
    rate_limits: bool = False
    time_scale: float = 1.0
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, list[Message]] = field(default_factory=lambda: defaultdict(list))
    chats: dict[int, Chat] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    callback_answers: dict[str, str] = field(default_factory=dict)
    rate_limit_hits: int = 0
    bot_user: dict[str, Any] = field(
        default_factory=lambda: {"id": 123456, "is_bot": True, "first_name": "SOS", "username": "sos_bot"}
    )

    def __post_init__(self) -> None:
        self.base_url = ""
        self.webhook: tuple[str, str | None] | None = None
        self.webhook_responses: list[int] = []
        self._failures: list[Failure] = []
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._open_queries: set[str] = set()
        self._absent: dict[int, str] = {}  # chats the bot may not write to, and the 403 description
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        scale = self.time_scale
        self._overall = SlidingWindow(30, 1.0 * scale)
        self._per_private: dict[int, SlidingWindow] = defaultdict(lambda: SlidingWindow(3, 3.0 * scale))
        self._per_group: dict[int, SlidingWindow] = defaultdict(lambda: SlidingWindow(20, 60.0 * scale))

    # Server ------------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on an ephemeral loopback port; returns the ``base_url`` (``http://host:port/bot``)."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # Pending long polls are woken by stop(), so a short shutdown timeout loses nothing.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{self.host}:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        """Answer pending long polls and slow calls at once, stop serving, close the webhook client."""
        self._closing.set()
        self._new_update.set()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params = await read_params(request)
        except ValueError:
            return error(400, "Bad Request: can't parse request body")
        self.calls.append(Call(method, params, time.monotonic()))
        try:
            return await self._answer(method, params)
        finally:
            self._changed.set()

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.kind != "slow":
                return failure_response(failure, params.get("chat_id"))
            # Answer late, then do the work anyway: a client that timed out never learns it succeeded.
            try:
                await asyncio.wait_for(self._closing.wait(), failure.delay)
            except TimeoutError:
                pass
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return error(404, "Not Found: method not found")
        if method in SEND_METHODS:
            refused = self._refuse_send(params)
            if refused is not None:
                return refused
        try:
            result = await handler(params)
        except TextError as refused_text:
            return error(400, str(refused_text))
        except (KeyError, TypeError, ValueError):
            return error(400, "Bad Request: invalid parameters")
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self._failures:
            if failure.matches(method, params):
                failure.times -= 1
                if failure.times == 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _refuse_send(self, params: dict[str, Any]) -> web.Response | None:
        chat_id = int(params.get("chat_id") or 0)
        if chat_id in self._absent:
            return error(403, self._absent[chat_id])
        return self._rate_limited(chat_id) if self.rate_limits else None

    def _rate_limited(self, chat_id: int) -> web.Response | None:
        now = time.monotonic()
        window = self._per_private[chat_id] if chat_id > 0 else self._per_group[chat_id]
        for limiter in (self._overall, window):
            wait = limiter.wait(now)
            if wait > 0:
                self.rate_limit_hits += 1
                whole = max(1, math.ceil(wait))
                return error(
                    429,
                    f"Too Many Requests: retry after {whole}",
                    {"retry_after": whole, "retry_after_exact": wait},
                )
        self._overall.add(now)
        window.add(now)
        return None

    # Failure injection and inspection ------------------------------------------------------------------

    def inject(
        self,
        method: str,
        kind: str | int,
        chat_id: int | str | None = None,
        times: int = 1,
        *,
        retry_after: int = 1,
        delay: float = 0.0,
        new_chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` for any) in ``chat_id`` (None: any) fail.

        Kinds: ``429`` (with ``retry_after``), ``403`` (blocked by the user), ``400``/``"chat_not_found"``,
        ``"migrated"`` (to ``new_chat_id``), ``500``, ``502``, ``"slow"`` (answer after ``delay`` seconds).

        Raises:
            ValueError: for an unknown kind, so a typo cannot silently become a different failure.
        """
        normal = FAILURE_KINDS.get(str(kind))
        if normal is None:
            raise ValueError(f"unknown failure kind {kind!r}; known: {sorted(FAILURE_KINDS)}")
        self._failures.append(Failure(method, normal, chat_id, times, retry_after, delay, new_chat_id))

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of ``method``."""
        return [call for call in self.calls if call.method == method]

    def messages_in(self, chat_id: int, *, from_bot: bool = True) -> list[Message]:
        """Messages in a chat (the bot's by default), deleted ones excluded."""
        return [m for m in self.messages[chat_id] if m.from_bot == from_bot and not m.deleted]

    def last_message(self, chat_id: int) -> Message:
        """The bot's latest message in a chat."""
        return self.messages_in(chat_id)[-1]

    async def wait_for(self, predicate: Predicate, timeout: float = 3.0) -> None:
        """Wait until ``predicate()`` (or ``predicate(calls)``) holds, re-checked after every call.

        Raises:
            TimeoutError: when it still does not hold after ``timeout`` seconds.
        """
        takes_calls = _required_positionals(predicate) == 1
        deadline = time.monotonic() + timeout
        while not (predicate(self.calls) if takes_calls else predicate()):  # type: ignore[call-arg]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the emulator did not see the expected calls in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    # Delivering updates ----------------------------------------------------------------------------

    async def push(self, body: dict[str, Any], update_id: int | None = None) -> int:
        """Deliver an update (by webhook if one is set, else to getUpdates); a given id replays one."""
        update = {"update_id": update_id if update_id is not None else next(self._update_ids), **body}
        if self.webhook is None:
            self._updates.append(update)
            self._new_update.set()
        else:
            url, secret = self.webhook
            status = await self._post(url, update, secret)
            self.webhook_responses.append(status)
        self._changed.set()
        return int(update["update_id"])

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        """POST an update to the registered webhook with any secret (to test a forged request)."""
        assert self.webhook is not None, "no webhook registered"
        return await self._post(self.webhook[0], update, secret)

    async def _post(self, url: str, update: dict[str, Any], secret: str | None) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self._session.post(url, json=update, headers=headers) as response:
            reply = await response.json() if response.content_type == "application/json" else None
            status = response.status
        if status == 200 and isinstance(reply, dict) and isinstance(reply.get("method"), str):
            # As the Bot API: a webhook's answer may carry one method call, run with no result reported back.
            params = {key: value for key, value in reply.items() if key != "method"}
            self.calls.append(Call(reply["method"], params, time.monotonic(), in_webhook_answer=True))
            await self._answer(reply["method"], params)
        return status

    # Bot API methods ---------------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            return error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset < 0:  # the last -offset updates; every earlier one is forgotten
            while len(self._updates) > -offset:
                self._updates.popleft()
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        if not self._updates and not self._closing.is_set():
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        return list(itertools.islice(self._updates, limit))

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        self.webhook = (url, params.get("secret_token")) if url else None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        url = self.webhook[0] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = list(params.get("commands") or [])
        for command in commands:
            name, description = str(command.get("command", "")), str(command.get("description", ""))
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                return error(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                return error(400, "Bad Request: command description is empty or too long")
        self.commands[str(params.get("language_code") or "")] = commands
        return True

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat = self.chats.get(int(params["chat_id"]))
        return chat_full_info(chat) if chat else error(400, "Bad Request: chat not found")


def _required_positionals(function: Callable[..., Any]) -> int:
    """How many positional parameters ``function`` requires (``lambda before=before: ...`` has none)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 0
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty)
