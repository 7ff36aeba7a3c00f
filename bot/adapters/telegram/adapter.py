"""The Telegram adapter: python-telegram-bot v22 for long polling, the bot's own webhook route, and sending.

In webhook mode PTB's webhook server is not used: updates arrive on ``POST /telegram/webhook`` of the bot's
aiohttp server (``bot/web.py``), beside Slack's route and the health checks.
"""

from __future__ import annotations

import functools
import hmac
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from aiohttp import web
from telegram import Chat, InputFile, ReplyParameters, Update
from telegram import error as tg
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.adapters.telegram.commands import menus
from bot.adapters.telegram.convert import PLATFORM, bot_is_member, chat_ref, event_id, to_event
from bot.adapters.telegram.errors import is_not_modified, translate
from bot.adapters.telegram.http import AiohttpRequest
from bot.adapters.telegram.render import html_parts, html_single, keyboard
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import ChatRef, Delete, Edit, Notice, Outgoing, OutgoingMessage
from bot.core.host import Host
from bot.core.receipts import keep_receipt

log = logging.getLogger(__name__)
T = TypeVar("T")
Answer = Callable[[str, str | None], Awaitable[None]]  # answers a button press: query id, notice text
MAX_DELETE_BATCH = 100  # deleteMessages takes 1-100 ids
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)
MAX_NOTICE = 200  # answerCallbackQuery's text limit
EDIT_TEXT = "editMessageText"
# PTB warns when a method it wraps is called raw; the edit is, on purpose (see TelegramAdapter.edit).
warnings.filterwarnings("ignore", message=f"Please use 'Bot.{EDIT_TEXT}'", category=PTBUserWarning)
# httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)


class TelegramAdapter:
    """Receives updates (polling or webhook), turns them into events, and sends through the Bot API.

    Args:
        app: the wired bot (settings, dispatcher, store).
        webhook_url: the public URL Telegram should POST updates to (webhook mode); defaults to
            ``SOS_TELEGRAM_WEBHOOK_URL`` + ``/telegram/webhook``.
        timeout: seconds for reading, writing and waiting for a connection on Bot API calls; a slower
            answer becomes a TRANSIENT :class:`DeliveryError`.
        connect_timeout: seconds to connect (defaults to ``timeout``).
        poll_timeout: seconds one getUpdates long poll may wait for updates.
    """

    platform = PLATFORM

    def __init__(
        self,
        app: Host,
        *,
        webhook_url: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float | None = None,
        poll_timeout: int = 10,
    ) -> None:
        self.app = app
        settings = app.settings
        if not settings.telegram_token:
            raise ValueError("Telegram is not configured (SOS_TELEGRAM_TOKEN is unset)")
        self.webhook = settings.telegram_mode == "webhook"
        base = settings.telegram_webhook_url
        self.webhook_url = webhook_url or (f"{base}{WEBHOOK_PATH}" if base else None)
        self.poll_timeout = poll_timeout
        connect = connect_timeout if connect_timeout is not None else timeout
        # Sending goes through aiohttp (see http.py: httpx cost most of the CPU of a button press).
        request = AiohttpRequest(
            connection_pool_size=128,
            read_timeout=timeout,
            write_timeout=timeout,
            connect_timeout=connect,
            pool_timeout=timeout,
        )
        # A long poll waits up to poll_timeout by design, so its read timeout must be longer than that.
        polling = HTTPXRequest(read_timeout=poll_timeout + 10, connect_timeout=connect)
        builder = Application.builder().token(settings.telegram_token).request(request)
        builder = builder.get_updates_request(polling)
        if settings.telegram_api_url:
            builder = builder.base_url(settings.telegram_api_url)
            builder = builder.base_file_url(_file_url(settings.telegram_api_url))
        if self.webhook:
            builder = builder.updater(None)
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        # Off when several processes share the store: the runner polls in the one holding the polling lock.
        self.poll_on_start = True

    # Lifecycle ---------------------------------------------------------------------------------------

    def routes(self) -> Sequence[web.RouteDef]:
        """``POST /telegram/webhook`` in webhook mode; nothing in polling mode."""
        return [web.post(WEBHOOK_PATH, self._webhook)] if self.webhook else []

    async def start(self) -> None:
        """Initialise the client, publish the command menus, then poll or register the webhook."""
        await self.application.initialize()
        await self.application.start()
        await self._publish_commands()
        bot = self.application.bot
        if self.webhook:
            if not self.webhook_url:
                raise RuntimeError("webhook mode needs SOS_TELEGRAM_WEBHOOK_URL (the bot's public base URL)")
            await bot.set_webhook(
                self.webhook_url,
                secret_token=self.app.settings.telegram_webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            # The URL is public by design; the secret token never reaches a log line.
            log.info(
                "telegram webhook registered: %s (updates: %s)", self.webhook_url, ", ".join(ALLOWED_UPDATES)
            )
        elif self.poll_on_start:
            await self.start_polling()

    @property
    def polls(self) -> bool:
        """Whether updates arrive by long polling (polling mode), which one process at a time may do."""
        return self.application.updater is not None

    async def start_polling(self) -> None:
        """Begin long polling (after :meth:`start`; the runner calls it in the process that holds the lock)."""
        updater = self.application.updater
        if updater is None or updater.running:
            return
        await self.application.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        await updater.start_polling(
            poll_interval=0.0,
            timeout=timedelta(seconds=self.poll_timeout),
            allowed_updates=list(ALLOWED_UPDATES),
            error_callback=_polling_error,
        )

    async def stop_polling(self) -> None:
        """Stop long polling (another process may poll next)."""
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()

    async def stop(self) -> None:
        """Stop polling and close the client (a registered webhook stays: Telegram keeps the queue)."""
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _publish_commands(self) -> None:
        """The command menu in each language; a refusal is logged, the bot still starts."""
        for language, commands in menus(self.app.dispatcher.router).items():
            try:
                await self.application.bot.set_my_commands(commands, language_code=language)
            except tg.TelegramError as error:
                log.warning("setMyCommands(%s) failed: %s", language, translate(error).kind.value)

    # Receiving ---------------------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        expected = self.app.settings.telegram_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=401)
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except Exception:  # malformed JSON or not an Update: nothing to process, nothing to log
            return web.Response(status=400)
        answers: list[dict[str, str]] = []

        async def in_reply(query_id: str, text: str | None) -> None:
            answers.append(_answer_params(query_id, text))

        # The answer waits for processing: Telegram then sends this chat's next update, keeping order. A button's
        # answer rides in it (the Bot API runs one method given in a webhook's answer), which spares a request
        # per press; its outcome is never reported, and a toast that fails to show loses nothing.
        await self._guarded(update, in_reply)
        if answers:
            return web.json_response({"method": "answerCallbackQuery", **answers[0]})
        return web.Response(status=200)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._guarded(update, self._answer)

    async def _guarded(self, update: Update, answer: Answer) -> None:
        try:
            await self.process(update, answer)
        except Exception as error:  # the process never dies on an update
            log.error("telegram update %s failed: %s", update.update_id, type(error).__name__)

    async def process(self, update: Update, answer: Answer) -> None:
        """Handle one update: membership changes, or an event for the dispatcher and its answers.

        Args:
            answer: how a button press is answered (stopping the person's spinner, with a notice or not):
                ``answerCallbackQuery`` by request, or in the webhook's reply.
        """
        query = update.callback_query
        answered = False
        try:
            if update.my_chat_member is not None:
                await self._membership(update)
                return
            event = to_event(update, self.application.bot.username)
            if event is None:
                return
            outcome = await self.app.dispatcher.handle(event)
            notices = [item.text for item in outcome.outgoing if isinstance(item, Notice)]
            if query is not None:
                # Answered first, so the person's spinner stops before the (slower) messages go out.
                answered = True
                await answer(query.id, notices[0] if notices else None)
            for item in outcome.outgoing:
                await self._deliver(item, outcome.language)
        finally:
            if query is not None and not answered:
                # Always answered, or the person's client shows a spinner until Telegram gives up.
                await answer(query.id, None)

    async def _answer(self, query_id: str, text: str | None) -> None:
        try:
            await self.application.bot.answer_callback_query(query_id, text=_notice(text))
        except tg.TelegramError as error:
            log.warning("answerCallbackQuery failed: %s", translate(error).kind.value)

    async def _deliver(self, item: Outgoing, language: str) -> None:
        """A direct reply, in its turn of the platform's budget, retried; what cannot leave goes to the outbox."""
        replies = self.app.replies
        try:
            if isinstance(item, OutgoingMessage):
                sent = await replies.call(PLATFORM, item.chat.chat_id, functools.partial(self.send, item))
                await keep_receipt(self.app.sessions, item, sent)
            elif isinstance(item, Edit):
                await replies.call(PLATFORM, item.chat.chat_id, functools.partial(self.edit, item))
            elif isinstance(item, Delete):
                await replies.call(
                    PLATFORM, item.chat.chat_id, functools.partial(self.delete, item.chat, item.message_id)
                )
        except DeliveryError as error:
            log.warning("telegram reply failed: %s", error.kind.value)
            if isinstance(item, OutgoingMessage) and error.kind is FailureKind.TRANSIENT:
                await replies.to_outbox(item, language)

    async def _membership(self, update: Update) -> None:
        """Tell the core the bot joined or left a group or channel."""
        member = update.my_chat_member
        assert member is not None
        if member.chat.type == Chat.PRIVATE:
            return  # a person blocking the bot: the outbox learns it from the 403 on the next message
        await self.app.dispatcher.record_membership(
            event_id(update), chat_ref(member.chat), bot_is_member(member.new_chat_member)
        )

    async def _on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram client error: %s", type(context.error).__name__)

    # Sending -----------------------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> str:
        """Send files, then the text (split when long; buttons on the last part); returns the last part's id.

        The caller paced the first request; each further one (a file, the next part) waits its own turn and
        retries a 429 by itself, so a long answer arrives whole without re-sending the parts already out.

        Raises:
            DeliveryError: the platform's refusal or failure, classified.
        """
        parts = html_parts(message.text, message.rtl)
        chat_id = _chat_id(message.chat.chat_id)
        reply = None
        if message.reply_to and message.reply_to.isdigit():
            reply = ReplyParameters(int(message.reply_to), allow_sending_without_reply=True)
        requests: list[Callable[[], Awaitable[object]]] = [
            functools.partial(
                self.application.bot.send_document,
                chat_id,
                InputFile(attachment.content, filename=attachment.filename),
            )
            for attachment in message.attachments
        ]
        requests += [
            functools.partial(
                self.application.bot.send_message,
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(message.buttons) if index == len(parts) - 1 else None,
                reply_parameters=reply if index == 0 else None,
            )
            for index, part in enumerate(parts)
        ]
        sent: object = None
        for index, request in enumerate(requests):
            guarded = functools.partial(_classified, request)
            if index == 0:
                sent = await guarded()
            else:
                sent = await self.app.replies.call(PLATFORM, message.chat.chat_id, guarded)
        return str(getattr(sent, "message_id", ""))

    async def edit(self, edit: Edit) -> None:
        """Replace a message's text and buttons; "not modified" counts as done.

        Raises:
            DeliveryError: the platform's refusal or failure, classified.
        """
        parameters = {
            "chat_id": _chat_id(edit.chat.chat_id),
            "message_id": _message_id(edit.message_id),
            "text": html_single(edit.text, edit.rtl),
            "parse_mode": ParseMode.HTML,
            "reply_markup": keyboard(edit.buttons),
        }
        try:
            # The raw call: the edited message that comes back is not needed, and turning it into PTB's
            # objects cost as much CPU as the request itself (bench/event_path.py, profiled).
            await self.application.bot.do_api_request(EDIT_TEXT, api_kwargs=parameters)
        except tg.TelegramError as error:
            if not is_not_modified(error):
                raise translate(error) from None

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        """Delete a message the bot sent (or, in private chats, one the person sent); gone already is done.

        Raises:
            DeliveryError: the platform's refusal or failure, classified.
        """
        try:
            await self.application.bot.delete_message(_chat_id(chat.chat_id), _message_id(message_id))
        except tg.TelegramError as error:
            if not (
                isinstance(error, tg.BadRequest) and "message to delete not found" in error.message.lower()
            ):
                raise translate(error) from None

    async def delete_many(self, chat: ChatRef, message_ids: Sequence[str]) -> None:
        """Delete several messages of one chat with ``deleteMessages`` (100 at a time; missing ones are skipped).

        Raises:
            DeliveryError: the platform's refusal or failure, classified.
        """
        if len(message_ids) == 1:
            await self.delete(chat, message_ids[0])
            return
        ids = [_message_id(i) for i in message_ids]
        for start in range(0, len(ids), MAX_DELETE_BATCH):
            try:
                await self.application.bot.delete_messages(
                    _chat_id(chat.chat_id), ids[start : start + MAX_DELETE_BATCH]
                )
            except tg.TelegramError as error:
                raise translate(error) from None


def _notice(text: str | None) -> str | None:
    """A press's notice cut to ``answerCallbackQuery``'s limit; None shows nothing."""
    return text[:MAX_NOTICE] if text else None


def _answer_params(query_id: str, text: str | None) -> dict[str, str]:
    """``answerCallbackQuery``'s parameters, for the webhook's reply: the query and the notice, if any."""
    notice = _notice(text)
    return {"callback_query_id": query_id, **({"text": notice} if notice else {})}


def _chat_id(value: str) -> int | str:
    """Numeric chat ids as ints; ``@channelusername`` stays a string, as the Bot API accepts both."""
    return int(value) if value.lstrip("-").isdigit() else value


def _message_id(value: str) -> int:
    if not value.isdigit():
        raise DeliveryError(FailureKind.REJECTED, "not a Telegram message id")
    return int(value)


def _file_url(base_url: str) -> str:
    """``.../bot`` → ``.../file/bot``, the Bot API's file download base."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url


def _polling_error(error: tg.TelegramError) -> None:
    # PTB retries by itself; only the kind is worth a log line (the message may echo a URL with the token).
    log.warning("telegram polling failed: %s", type(error).__name__)


async def _classified(request: Callable[[], Awaitable[T]]) -> T:
    """Run one Bot API request, turning python-telegram-bot's errors into neutral ones."""
    try:
        return await request()
    except tg.TelegramError as error:
        raise translate(error) from None
