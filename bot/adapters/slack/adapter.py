"""The Slack adapter: slack-bolt (HTTP Events API or Socket Mode) to receive, slack-sdk to send."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import convert
from bot.adapters.slack.errors import translate
from bot.adapters.slack.render import messages, modal
from bot.adapters.slack.signature import verdict
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import Actor, ChatRef, Delete, Edit, Event, Form, Notice, Outgoing, OutgoingMessage
from bot.core.host import Host
from bot.core.i18n import normalise_language
from bot.core.receipts import keep_receipt
from bot.logs import SLACK_BOLT_LOGGER

log = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[None]]


class SlackAdapter:
    """Receives Slack requests through bolt and sends through the Web API."""

    platform = convert.PLATFORM

    def __init__(self, app: Host, *, timeout: float = 10.0) -> None:
        self.app = app
        settings = app.settings
        assert settings.slack_bot_token, "Slack is not configured"
        self.client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
            timeout=int(max(1, timeout)),
            retry_handlers=[],  # the outbox decides on retries, with the platform's Retry-After
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret or "",
            process_before_response=False,
            request_verification_enabled=not settings.slack_app_token,
            # Our own logger: bolt would otherwise give its loggers the root's level (DEBUG under -v).
            logger=logging.getLogger(SLACK_BOLT_LOGGER),
        )
        self._verifier = SignatureVerifier(settings.slack_signing_secret or "-")
        self._people: dict[tuple[str, str], tuple[str, str | None]] = {}  # (team, user) → (name, locale)
        self._socket: Any = None
        self._register()

    # Receiving ---------------------------------------------------------------------------------------

    def routes(self) -> Sequence[web.RouteDef]:
        """``POST /slack/events`` (events, slash commands, interactivity) in HTTP mode."""
        return [] if self.app.settings.slack_app_token else [web.post("/slack/events", self._http)]

    async def _http(self, request: web.Request) -> web.Response:
        """Verify Slack's signature on the raw bytes first; only a signed body is parsed, by bolt.

        A refusal is one log line with the reason and the size, never the body: an unsigned body is
        anybody's text (or a defender's, delayed past the five-minute window by clock skew).
        """
        body = await request.read()  # bounded by the web app's client_max_size
        refusal = verdict(self._verifier, body, request.headers)
        if refusal is not None:
            log.warning("slack request refused: %s (%d bytes)", refusal, len(body))
            return web.Response(status=401)
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8", "replace"), query=request.query_string, headers=dict(request.headers)
        )
        try:
            response = await self.bolt.async_dispatch(bolt_request)
        except Exception as error:  # a signed but malformed body: nothing to process, nothing to log
            log.warning("slack request unreadable: %s", type(error).__name__)
            return web.Response(status=400)
        return await to_aiohttp_response(response)

    async def start(self) -> None:
        """Open the Web API session; Socket Mode connects out, HTTP mode needs nothing (Slack calls us)."""
        client = self.client  # the Web API client (its attributes are not Web API methods)
        if client.session is None or client.session.closed:
            # One session with keep-alive connections: without it slack-sdk opens a session, and a connection,
            # for every call. The timeout is the one slack-sdk gives each of its own sessions.
            client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))
        if self.app.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self.app.settings.slack_app_token)
            await self._socket.connect_async()

    async def stop(self) -> None:
        """Disconnect Socket Mode and close the Web API session."""
        if self._socket is not None:
            await self._socket.close_async()
        client = self.client
        if client.session is not None:
            await client.session.close()
            client.session = None

    def _register(self) -> None:
        bolt = self.bolt

        @bolt.command("/sos")
        async def on_command(ack: Ack, body: dict[str, Any]) -> None:
            await ack()
            who = self._actor(str(body.get("team_id", "")), str(body.get("user_id", "")))
            await self._process(convert.command(body, who))

        @bolt.event("message")
        async def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
            if event.get("subtype") or event.get("bot_id"):
                return  # edits, joins and bots (ourselves included) are not people talking to us
            who = self._actor(str(body.get("team_id", "")), str(event.get("user", "")))
            converted = convert.message(body, event, who)
            if converted is not None:
                await self._process(converted)

        @bolt.event("app_mention")
        async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
            who = self._actor(str(body.get("team_id", "")), str(event.get("user", "")))
            converted = convert.message(body, event, who)
            if converted is not None:
                await self._process(converted)

        @bolt.action(re.compile(".*"))
        async def on_action(ack: Ack, body: dict[str, Any]) -> None:
            await ack()  # within Slack's 3 seconds, before any work
            user = body.get("user") or {}
            who = self._actor(str(user.get("team_id", "")), str(user.get("id", "")))
            event = convert.action(body, who)
            await self._process(event, ephemeral_to=who.user_id)

        @bolt.view(re.compile(".*"))
        async def on_view(ack: Ack, body: dict[str, Any]) -> None:
            await ack()
            user = body.get("user") or {}
            who = self._actor(str(user.get("team_id", "")), str(user.get("id", "")))
            dm = await self._dm_channel(who.user_id)
            await self._process(convert.form(body, who, dm))

        @bolt.error
        async def on_error(error: Exception) -> None:
            log.error("slack request failed: %s", type(error).__name__)

    def _actor(self, team: str, user_id: str) -> Actor:
        """The acting user: with their name and locale when already read, else with a way to read them."""
        known = self._people.get((team, user_id))
        if known is None:
            return Actor(
                convert.PLATFORM, user_id, team, profile=functools.partial(self._profile, team, user_id)
            )
        name, locale = known
        return Actor(convert.PLATFORM, user_id, team, name, normalise_language(locale))

    async def _profile(self, team: str, user_id: str) -> Actor:
        """The user's name and locale from users.info, cached for the process (the dispatcher asks only when the
        person is new to the bot or never chose a language)."""
        try:
            answer = await self.client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, TimeoutError, OSError) as error:
            log.warning("users.info failed: %s", translate(error).kind.value)
            return Actor(convert.PLATFORM, user_id, team)  # not cached: try again next time
        user = answer.get("user") or {}
        self._people[(team, user_id)] = (
            str(user.get("real_name") or user.get("name") or ""),
            user.get("locale"),
        )
        return self._actor(team, user_id)

    async def _dm_channel(self, user_id: str) -> str:
        try:
            answer = await self.client.conversations_open(users=user_id)
            return str((answer.get("channel") or {}).get("id", f"D{user_id}"))
        except (SlackApiError, TimeoutError, OSError):
            return f"D{user_id}"

    async def _process(self, event: Event, ephemeral_to: str | None = None) -> None:
        try:
            outcome = await self.app.dispatcher.handle(event)
            for item in outcome.outgoing:
                await self._deliver(item, outcome.language, ephemeral_to)
        except Exception as error:  # the process never dies on a request
            log.error("slack event failed: %s", type(error).__name__)

    async def _deliver(self, item: Outgoing, language: str, ephemeral_to: str | None) -> None:
        """A direct reply, in its turn of the platform's budget, retried; what cannot leave goes to the outbox."""
        replies, paced = self.app.replies, True
        perform: Callable[[], Awaitable[object]] | None = None
        if isinstance(item, OutgoingMessage):
            perform = functools.partial(self.send, item)
        elif isinstance(item, Edit):
            perform = functools.partial(self.edit, item)
        elif isinstance(item, Delete):
            perform = functools.partial(self.delete, item.chat, item.message_id)
        elif isinstance(item, Notice) and ephemeral_to:
            perform = functools.partial(self._ephemeral, item, ephemeral_to)
        elif isinstance(item, Form):
            perform = functools.partial(self._open_form, item)
            paced = False  # a trigger expires within 3 s, and a modal is not a message in the chat
        if perform is None:
            return
        try:
            result = await (
                replies.call(convert.PLATFORM, item.chat.chat_id, perform) if paced else perform()
            )
            if isinstance(item, OutgoingMessage):
                await keep_receipt(self.app.sessions, item, str(result))
        except DeliveryError as error:
            log.warning("slack reply failed: %s", error.kind.value)
            if isinstance(item, OutgoingMessage) and error.kind is FailureKind.TRANSIENT:
                await replies.to_outbox(item, language)

    # Sending -----------------------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> str:
        """Post files first (files_upload_v2), then the text split when long; returns the last part's ts.

        The caller paced the first request; each further one waits its own turn and retries a 429 by itself.
        """
        channel = message.chat.chat_id
        requests: list[Callable[[], Awaitable[Any]]] = [
            functools.partial(
                self.client.files_upload_v2,
                channel=channel,
                content=attachment.content,
                filename=attachment.filename,
            )
            for attachment in message.attachments
        ]
        requests += [
            functools.partial(
                self.client.chat_postMessage,
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=message.reply_to,
            )
            for text, blocks in messages(message.text, message.buttons)
        ]
        answer: Any = None
        for index, request in enumerate(requests):
            guarded = functools.partial(_classified, request)
            answer = await (
                guarded() if index == 0 else self.app.replies.call(convert.PLATFORM, channel, guarded)
            )
        return str((answer or {}).get("ts", ""))

    async def edit(self, edit: Edit) -> None:
        """Replace a message's text and buttons (the last part when a long text no longer fits)."""
        text, blocks = messages(edit.text, edit.buttons)[-1]
        try:
            await self.client.chat_update(
                channel=edit.chat.chat_id, ts=edit.message_id, text=text, blocks=blocks
            )
        except (SlackApiError, TimeoutError, OSError) as error:
            raise translate(error) from None

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        """Delete a message the bot posted (``chat.delete``; a person's own messages cannot be deleted by a bot)."""
        try:
            await self.client.chat_delete(channel=chat.chat_id, ts=message_id)
        except (SlackApiError, TimeoutError, OSError) as error:
            if isinstance(error, SlackApiError) and error.response.get("error") == "message_not_found":
                return  # gone already: that is what was asked
            raise translate(error) from None

    async def _open_form(self, form: Form) -> None:
        try:
            await self.client.views_open(trigger_id=form.token, view=modal(form))
        except (SlackApiError, TimeoutError, OSError) as error:
            raise translate(error) from None

    async def _ephemeral(self, notice: Notice, user_id: str) -> None:
        try:
            await self.client.chat_postEphemeral(channel=notice.chat.chat_id, user=user_id, text=notice.text)
        except (SlackApiError, TimeoutError, OSError) as error:
            raise translate(error) from None


async def _classified(request: Callable[[], Awaitable[Any]]) -> Any:
    """Run one Web API request, turning slack-sdk's errors into neutral ones."""
    try:
        return await request()
    except (SlackApiError, TimeoutError, OSError) as error:
        raise translate(error) from None
