"""The Telegram adapter: python-telegram-bot v22 for polling, webhook and sending."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from telegram import BotCommand, ReplyParameters, Update
from telegram import error as tg
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot.adapters.telegram.convert import PLATFORM, chat_ref, to_event
from bot.adapters.telegram.errors import translate
from bot.adapters.telegram.render import html_parts, keyboard
from bot.app import App
from bot.config import LANGUAGES
from bot.core.commands import localised_word
from bot.core.delivery import DeliveryError
from bot.core.events import ChatRef, Delete, Edit, Notice, OutgoingMessage
from bot.core.i18n import translator
from storage.models import Role
from storage.repositories import Store

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMAND_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


class TelegramAdapter:
    """Receives updates (polling or webhook) and sends through the Bot API."""

    platform = PLATFORM

    def __init__(
        self, app: App, *, webhook_url: str | None = None, timeout: float = 10.0, poll_timeout: int = 10
    ) -> None:
        self.app = app
        settings = app.settings
        assert settings.telegram_token, "Telegram is not configured"
        self.webhook = settings.telegram_mode == "webhook"
        self.webhook_url = webhook_url
        self.poll_timeout = poll_timeout
        request = HTTPXRequest(
            connection_pool_size=128,
            read_timeout=timeout,
            write_timeout=timeout,
            connect_timeout=timeout,
            pool_timeout=timeout,
        )
        builder = Application.builder().token(settings.telegram_token).request(request)
        builder = builder.get_updates_request(
            HTTPXRequest(read_timeout=poll_timeout + 10, connect_timeout=timeout)
        )
        if settings.telegram_api_url:
            builder = builder.base_url(settings.telegram_api_url)
            builder = builder.base_file_url(settings.telegram_api_url.replace("/bot", "/file/bot"))
        if self.webhook:
            builder = builder.updater(None)
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)

    # Receiving ---------------------------------------------------------------------------------------

    def routes(self) -> Sequence[web.RouteDef]:
        """``POST /telegram/webhook`` in webhook mode."""
        return [web.post("/telegram/webhook", self._webhook)] if self.webhook else []

    async def start(self) -> None:
        """Initialise the client, publish the command menus, then poll or register the webhook."""
        await self.application.initialize()
        await self.application.start()
        await self._publish_commands()
        if self.webhook:
            if self.webhook_url:
                await self.application.bot.set_webhook(
                    self.webhook_url, secret_token=self.app.settings.telegram_webhook_secret
                )
        elif self.application.updater is not None:
            await self.application.bot.delete_webhook()
            await self.application.updater.start_polling(poll_interval=0.0, timeout=self.poll_timeout)

    async def stop(self) -> None:
        """Stop polling and close the client."""
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _webhook(self, request: web.Request) -> web.Response:
        expected = self.app.settings.telegram_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=401)
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except ValueError:
            return web.Response(status=400)
        await self.application.process_update(update)
        return web.Response(status=200)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            if update.my_chat_member is not None:
                await self._membership(update)
                return
            event = to_event(update, self.application.bot.username)
            if event is None:
                return
            outcome = await self.app.dispatcher.handle(event)
            notices = [item.text for item in outcome.outgoing if isinstance(item, Notice)]
            if update.callback_query is not None:
                # Always answered, or the person's client shows a spinner until Telegram gives up.
                await self._answer(update.callback_query.id, notices[0] if notices else None)
            for item in outcome.outgoing:
                await self._deliver(item)
        except Exception as error:  # the process never dies on an update
            log.error("telegram update %s failed: %s", update.update_id, type(error).__name__)

    async def _answer(self, query_id: str, text: str | None) -> None:
        try:
            await self.application.bot.answer_callback_query(query_id, text=text)
        except tg.TelegramError as error:
            log.warning("answerCallbackQuery failed: %s", translate(error).kind.value)

    async def _deliver(self, item: Any) -> None:
        try:
            if isinstance(item, OutgoingMessage):
                await self.send(item)
            elif isinstance(item, Edit):
                await self.edit(item)
            elif isinstance(item, Delete):
                await self.delete(item.chat, item.message_id)
        except DeliveryError as error:
            log.warning("telegram reply failed: %s", error.kind.value)

    async def _membership(self, update: Update) -> None:
        member = update.my_chat_member
        assert member is not None
        present = member.new_chat_member.status in ("member", "administrator", "creator")
        chat = chat_ref(member.chat)
        async with self.app.sessions() as session, session.begin():
            channel = await Store(session).channels.get_or_create(PLATFORM, "", chat.chat_id, chat.title)
            channel.bot_member = present
            if chat.title:
                channel.title = chat.title

    async def _on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram client error: %s", type(context.error).__name__)

    async def _publish_commands(self) -> None:
        """The command menu in each language: what everyone may use, with localised descriptions."""
        router = self.app.dispatcher.router
        for language in LANGUAGES:
            t = translator(language)
            commands = []
            for name, route in router.commands.items():
                if not route.summary or Role.DEFENDER not in route.roles:
                    continue
                word = localised_word(name, language)
                word = word if set(word) <= COMMAND_NAME_CHARS else name
                commands.append(BotCommand(word, t.gettext(route.summary)[:256]))
            try:
                await self.application.bot.set_my_commands(commands, language_code=language)
            except tg.TelegramError as error:
                log.warning("setMyCommands(%s) failed: %s", language, translate(error).kind.value)

    # Sending -----------------------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> str:
        """Send (split when long; buttons on the last part); returns the last part's message id."""
        parts = html_parts(message.text, message.rtl)
        reply = (
            ReplyParameters(int(message.reply_to), allow_sending_without_reply=True)
            if message.reply_to
            else None
        )
        sent_id = ""
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                sent = await self.application.bot.send_message(
                    int(message.chat.chat_id),
                    part,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(message.buttons) if last else None,
                    reply_parameters=reply if index == 0 else None,
                )
            except tg.TelegramError as error:
                raise translate(error) from None
            sent_id = str(sent.message_id)
        return sent_id

    async def edit(self, edit: Edit) -> None:
        """Replace a message's text and buttons; "not modified" counts as done."""
        parts = html_parts(edit.text, edit.rtl)
        try:
            await self.application.bot.edit_message_text(
                parts[0] if len(parts) == 1 else parts[-1],
                chat_id=int(edit.chat.chat_id),
                message_id=int(edit.message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(edit.buttons),
            )
        except tg.BadRequest as error:
            if "not modified" in error.message.lower():
                return
            raise translate(error) from None
        except tg.TelegramError as error:
            raise translate(error) from None

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        """Delete a message the bot sent (or, in private chats, one the person sent)."""
        try:
            await self.application.bot.delete_message(int(chat.chat_id), int(message_id))
        except tg.TelegramError as error:
            raise translate(error) from None
