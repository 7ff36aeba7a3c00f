"""A loopback emulator of the Slack Web API, and of Slack's signed requests to the bot's ``/slack/events``.

It answers the methods the bot uses with Slack's JSON shapes and errors, keeps the channels' messages,
records every call, injects failures, enforces chat.postMessage's 1 message/s per channel when asked (with a
time scale for tests), and plays users: DMs, slash commands, button presses and modal submissions are sent
to the bot signed with the signing secret, exactly as Slack signs them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapters.emulators.limits import SlidingWindow

ERROR_KINDS = {"not_in_channel", "channel_not_found", "account_inactive", "is_archived", "invalid_auth"}


@dataclass
class Call:
    """One Web API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Failure:
    """A failure to inject on the next matching calls: "429", an error string, "500"/"503", or "slow"."""

    method: str
    kind: str
    channel: str | None = None
    times: int = 1
    retry_after: int = 1
    delay: float = 0.0


@dataclass
class SlackMessage:
    """A message in an emulated channel."""

    ts: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user: str | None = None
    thread_ts: str | None = None
    edited: bool = False
    deleted: bool = False
    ephemeral_for: str | None = None

    def buttons(self) -> list[dict[str, Any]]:
        """Every button element of the message's actions blocks."""
        return [e for b in self.blocks if b.get("type") == "actions" for e in b.get("elements", [])]


@dataclass
class SlackUser:
    """A Slack user the emulator plays."""

    id: str
    name: str
    locale: str = "en-US"
    deleted: bool = False


@dataclass
class SlackEmulator:
    """The emulated Web API; ``await start()`` returns slack-sdk's ``base_url``."""

    bot_token: str = "xoxb-sandbox-token"
    signing_secret: str = "sandbox-signing-secret"
    team_id: str = "T0SANDBOX"
    rate_limits: bool = False
    time_scale: float = 1.0
    host: str = "127.0.0.1"
    events_url: str | None = None
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[SlackMessage]] = field(default_factory=lambda: defaultdict(list))
    users: dict[str, SlackUser] = field(default_factory=dict)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    rate_limit_hits: int = 0
    bot_user_id: str = "U0BOT"

    def __post_init__(self) -> None:
        self._failures: list[Failure] = []
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._windows: dict[str, SlidingWindow] = defaultdict(lambda: SlidingWindow(3, 3.0 * self.time_scale))
        self.event_responses: list[int] = []

    # Server ------------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on an ephemeral loopback port; returns ``http://host:port/api/``."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root = f"http://{self.host}:{port}"
        return f"{self.root}/api/"

    async def stop(self) -> None:
        """Stop serving and close the client that plays users."""
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params, time.monotonic()))
        if request.headers.get("Authorization", "") != f"Bearer {self.bot_token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.kind == "slow":
                await asyncio.sleep(failure.delay)
            else:
                return _failure_response(failure)
        if method == "chat.postMessage" and self.rate_limits:
            channel = str(params.get("channel"))
            now = time.monotonic()
            wait = self._windows[channel].wait(now)
            if wait > 0:
                self.rate_limit_hits += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(max(1, round(wait))), "X-Retry-After-Exact": f"{wait:.4f}"},
                )
            self._windows[channel].add(now)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result = await handler(params)
        self._changed.set()
        return web.json_response({"ok": True, **result} if isinstance(result, dict) else result)

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self._failures:
            channel_ok = failure.channel is None or failure.channel == params.get("channel")
            if failure.method in (method, "*") and channel_ok and failure.times > 0:
                failure.times -= 1
                if failure.times == 0:
                    self._failures.remove(failure)
                return failure
        return None

    # Inspection and failure injection ----------------------------------------------------------------

    def inject(
        self, method: str, kind: str, channel: str | None = None, times: int = 1, **options: Any
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``*`` for any) fail as ``kind``."""
        self._failures.append(Failure(method, kind, channel, times, **options))

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of ``method``."""
        return [call for call in self.calls if call.method == method]

    def messages_in(self, channel: str, *, from_bot: bool = True) -> list[SlackMessage]:
        """Messages in a channel (the bot's by default), deleted and ephemeral ones excluded."""
        return [
            m
            for m in self.messages[channel]
            if (m.user == self.bot_user_id) == from_bot and not m.deleted and m.ephemeral_for is None
        ]

    def ephemerals(self, channel: str, user: str) -> list[SlackMessage]:
        """Ephemeral messages the bot showed to ``user`` in ``channel``."""
        return [m for m in self.messages[channel] if m.ephemeral_for == user]

    def last_message(self, channel: str) -> SlackMessage:
        """The bot's latest message in a channel."""
        return self.messages_in(channel)[-1]

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

    def add_user(self, user: SlackUser) -> SlackUser:
        """Register a user (users.info answers with their locale)."""
        self.users[user.id] = user
        return user

    @staticmethod
    def dm_channel(user: SlackUser) -> str:
        """The id of the user's direct-message channel with the bot."""
        return f"D{user.id}"

    async def user_says(self, user: SlackUser, text: str, channel: str | None = None, **options: Any) -> int:
        """A user writes in their DM with the bot (``message.im``) or in a channel."""
        channel = channel or self.dm_channel(user)
        ts = self._next_ts()
        self.messages[channel].append(SlackMessage(ts, channel, text, user=user.id))
        event = {
            "type": "message",
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "user": user.id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        }
        return await self.send_event(event, **options)

    async def send_event(
        self, event: dict[str, Any], event_id: str | None = None, retry_num: int | None = None, **signing: Any
    ) -> int:
        """Send an Events API callback; a given ``event_id`` with ``retry_num`` replays it as Slack's retries do."""
        body = {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": "A0SOS",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "event": event,
        }
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return await self._post(json.dumps(body), headers, **signing)

    async def slash(self, user: SlackUser, text: str, channel: str | None = None, **signing: Any) -> int:
        """A user types ``/sos <text>``."""
        form = {
            "token": "legacy",
            "team_id": self.team_id,
            "channel_id": channel or self.dm_channel(user),
            "user_id": user.id,
            "user_name": user.name,
            "command": "/sos",
            "text": text,
            "trigger_id": f"trig{next(self._ids)}",
            "response_url": f"{self.root}/response",
        }
        return await self._post(
            urllib.parse.urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"}, **signing
        )

    async def press(self, user: SlackUser, message: SlackMessage, label: str, **signing: Any) -> int:
        """A user presses the button labelled ``label`` of ``message`` (block_actions)."""
        button = next(b for b in message.buttons() if b["text"]["text"] == label)
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id},
            "user": {"id": user.id, "name": user.name, "team_id": self.team_id},
            "api_app_id": "A0SOS",
            "trigger_id": f"trig{next(self._ids)}",
            "channel": {"id": message.channel},
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel},
            "message": {"ts": message.ts, "text": message.text},
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button["value"],
                    "action_ts": str(time.time()),
                }
            ],
        }
        return await self._interactive(payload, **signing)

    async def submit_view(
        self, user: SlackUser, callback_id: str, values: dict[str, str], **signing: Any
    ) -> int:
        """A user submits a modal (view_submission) with plain-text inputs."""
        state = {key: {key: {"type": "plain_text_input", "value": value}} for key, value in values.items()}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id},
            "user": {"id": user.id, "name": user.name, "team_id": self.team_id},
            "api_app_id": "A0SOS",
            "trigger_id": f"trig{next(self._ids)}",
            "view": {
                "id": f"V{next(self._ids)}",
                "type": "modal",
                "callback_id": callback_id,
                "state": {"values": state},
            },
        }
        return await self._interactive(payload, **signing)

    async def _interactive(self, payload: dict[str, Any], **signing: Any) -> int:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self._post(body, {"Content-Type": "application/x-www-form-urlencoded"}, **signing)

    async def _post(
        self, body: str, headers: dict[str, str], *, bad_signature: bool = False, stale: bool = False
    ) -> int:
        assert self.events_url, "set events_url to the bot's /slack/events"
        timestamp = str(int(time.time()) - (600 if stale else 0))
        base = f"v0:{timestamp}:{body}".encode()
        secret = (self.signing_secret + ("x" if bad_signature else "")).encode()
        signature = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
        headers = {**headers, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.events_url, data=body.encode(), headers=headers) as response:
            self.event_responses.append(response.status)
            return response.status

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    # Web API methods ---------------------------------------------------------------------------------

    async def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://sandbox.example/", "team": "Sandbox", "user": "sos", "team_id": self.team_id,
                "user_id": self.bot_user_id, "bot_id": "B0SOS", "is_enterprise_install": False}  # fmt: skip

    async def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        message = SlackMessage(self._next_ts(), channel, str(params.get("text", "")), _blocks(params),
                               self.bot_user_id, params.get("thread_ts"))  # fmt: skip
        self.messages[channel].append(message)
        return {"channel": channel, "ts": message.ts, "message": {"text": message.text, "ts": message.ts}}

    async def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        message = SlackMessage(self._next_ts(), channel, str(params.get("text", "")), _blocks(params),
                               self.bot_user_id, ephemeral_for=str(params.get("user")))  # fmt: skip
        self.messages[channel].append(message)
        return {"message_ts": message.ts}

    def bot_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> SlackMessage:
        """A message the bot already posted (setting up a scene, e.g. a published letter in many DMs)."""
        message = SlackMessage(self._next_ts(), channel, text, list(blocks or []), self.bot_user_id)
        self.messages[channel].append(message)
        return message

    def _find(self, params: dict[str, Any]) -> SlackMessage | None:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        return next((m for m in self.messages[channel] if m.ts == ts and not m.deleted), None)

    async def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text, message.blocks, message.edited = str(params.get("text", "")), _blocks(params), True
        return {"channel": message.channel, "ts": message.ts, "text": message.text}

    async def _m_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.deleted = True
        return {"channel": message.channel, "ts": message.ts}

    async def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        data: dict[str, Any] = {"id": user.id, "name": user.name, "real_name": user.name, "deleted": user.deleted,
                                "team_id": self.team_id}  # fmt: skip
        if str(params.get("include_locale")).lower() in ("true", "1"):
            data["locale"] = user.locale
        return {"user": data}

    async def _m_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        return {"channel": {"id": channel, "name": channel.lower(), "is_im": channel.startswith("D"),
                            "is_channel": channel.startswith("C"), "is_private": channel.startswith("G")}}  # fmt: skip

    async def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": f"D{params.get('users')}"}}

    async def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _json(params.get("view"))
        self.views.append(view)
        return {"view": {"id": f"V{next(self._ids)}", **view}}

    async def _m_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _json(params.get("view"))
        self.views.append(view)
        return {"view": {"id": str(params.get("view_id")), **view}}

    async def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids)}"
        self.uploads.append({"id": file_id, "filename": params.get("filename"), "content": b""})
        return {"upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        upload = next(u for u in self.uploads if u["id"] == file_id)
        upload["content"] = await request.read()
        return web.Response(text="OK - 0")

    async def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _json(params.get("files")) or []
        for entry in files:
            for upload in self.uploads:
                if upload["id"] == entry.get("id"):
                    upload.update({"title": entry.get("title"), "channel": params.get("channel_id")})
        return {"files": [{"id": entry.get("id")} for entry in files]}


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)  # slack-sdk sends some methods (users.info) as GET
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.method == "POST":
        params.update(await request.post())
    return params


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = _json(params.get("blocks"))
    return list(blocks) if isinstance(blocks, list) else []


def _failure_response(failure: Failure) -> web.Response:
    if failure.kind == "429":
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(failure.retry_after)},
        )
    if failure.kind.isdigit():
        return web.json_response({"ok": False, "error": "fatal_error"}, status=int(failure.kind))
    return web.json_response({"ok": False, "error": failure.kind})
