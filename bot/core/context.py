"""The one object a handler receives: who acted, where, in which language, the store, and how to answer."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from bot.config import Settings
from bot.core.events import (
    ActionEvent,
    Attachment,
    Button,
    ChatRef,
    CommandEvent,
    Delete,
    Edit,
    Event,
    Form,
    FormField,
    Notice,
    Outgoing,
    OutgoingMessage,
    TextEvent,
)
from bot.core.i18n import Translator
from bot.core.outbox_api import Outbox
from bot.core.router import Router
from storage.models import Conversation, Person
from storage.outbox import NORMAL, Target
from storage.repositories import Store

# A flow's traces: the person's message ids, the bot's echo receipts (erased when the flow ends).
ERASE_KEY, ECHOES_KEY = "erase", "echoes"
Buttons = Sequence[Sequence[Button]]
FLOW_ACTION_PREFIX = "f."


def _rows(buttons: Buttons) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in buttons)


class Context:
    """Per-event context. Answers are collected and sent only after the transaction commits."""

    def __init__(
        self,
        event: Event,
        person: Person,
        store: Store,
        translator: Translator,
        settings: Settings,
        conversation: Conversation | None = None,
    ) -> None:
        self.event = event
        self.person = person
        self.chat: ChatRef = event.chat
        self.store = store
        self.t = translator
        self.settings = settings
        self.conversation = conversation
        self.outgoing: list[Outgoing] = []
        self.answer = ""  # the text typed or the button value that reached this handler
        self.router: Router | None = None  # the whole router, for menus such as help

    @property
    def locale(self) -> str:
        """The language this event is answered in."""
        return self.t.language

    def _(self, message: str, **values: object) -> str:
        """Translate for the acting person."""
        return self.t.gettext(message, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """Plural-aware translate for the acting person."""
        return self.t.ngettext(singular, plural, n, **values)

    def reply(
        self,
        text: str,
        buttons: Buttons = (),
        chat: ChatRef | None = None,
        attachments: Sequence[Attachment] = (),
        receipt: str | None = None,
    ) -> None:
        """Answer in the event's chat (or ``chat``, e.g. the person's private chat), optionally with files.

        ``receipt``: an outbox subject under which the sent message's id is recorded, so it can be deleted later.
        """
        self.outgoing.append(
            OutgoingMessage(
                chat or self.chat,
                text,
                _rows(buttons),
                rtl=self.t.rtl,
                attachments=tuple(attachments),
                receipt=receipt,
            )
        )

    def edit(self, text: str, buttons: Buttons = ()) -> None:
        """Replace the message whose button was pressed; falls back to a new message otherwise."""
        message_id = self.event.message_id if isinstance(self.event, ActionEvent) else None
        if message_id is None:
            self.reply(text, buttons)
            return
        self.outgoing.append(Edit(self.chat, message_id, text, _rows(buttons), rtl=self.t.rtl))

    async def fan_out(
        self,
        subject: str,
        target: Target,
        text: str,
        buttons: Buttons = (),
        *,
        priority: int = NORMAL,
        revision: int = 1,
    ) -> bool:
        """Queue a message to another chat through the outbox (``self.outbox.send``), in this transaction.

        ``text`` must already be in ``target.language`` (use ``translator(target.language)``).
        Returns False when the same (subject, target, revision) was already queued.
        """
        return await self.outbox.send(subject, target, text, buttons, priority=priority, revision=revision)

    @property
    def outbox(self) -> Outbox:
        """The outbox API on this event's transaction: send, send to many, edit every copy, delete."""
        return Outbox(self.store.session)

    @property
    def can_open_form(self) -> bool:
        """Whether this event lets the bot answer with a form (a Slack slash command or button press does)."""
        return isinstance(self.event, CommandEvent | ActionEvent) and self.event.form_token is not None

    def form(self, form: str, title: str, fields: Sequence[FormField], submit: str) -> None:
        """Open a form; its submission comes back as a FormEvent routed to the action named ``form``."""
        assert isinstance(self.event, CommandEvent | ActionEvent) and self.event.form_token is not None
        self.outgoing.append(Form(self.chat, form, title, tuple(fields), submit, self.event.form_token))

    def delete(self, message_id: str) -> None:
        """Delete a message in this chat right after answering (best effort; :meth:`erase` is durable)."""
        self.outgoing.append(Delete(self.chat, message_id))

    def _here(self) -> Target:
        chat = self.chat
        return Target(chat.platform, chat.chat_id, self.locale, chat.workspace, chat.kind)

    async def erase(self, message_ids: Sequence[str] = (), echoes: Sequence[str] = ()) -> None:
        """Delete messages of this chat through the outbox (retried, survives a restart), in this transaction.

        Args:
            message_ids: platform ids of the person's own messages (deleted in one batch where possible).
            echoes: receipt subjects of the bot's messages that repeated what the person wrote.
        """
        ids = [i for i in dict.fromkeys(message_ids) if i]
        if ids and self.chat.erasable_input:
            await self.outbox.erase(f"erase:{secrets.token_hex(8)}", self._here(), ids)
        for subject in dict.fromkeys(echoes):
            await self.outbox.delete(subject, self._here(), revision=2)  # the receipt holds revision 1

    @property
    def incoming_id(self) -> str | None:
        """The platform id of the message that caused this event, when the person typed one."""
        return self.event.message_id if isinstance(self.event, TextEvent) else None

    async def trace(self, message_id: str | None = None) -> None:
        """Remember a message of the flow in progress (default: the one just typed), to erase when it ends."""
        conversation = self._require_flow()
        message_id = message_id or self.incoming_id
        traced = list(conversation.data.get(ERASE_KEY, []))
        if message_id and message_id not in traced:
            conversation.data = {**conversation.data, ERASE_KEY: [*traced, message_id]}
            await self.store.session.flush()

    def echo(self, text: str, buttons: Buttons = ()) -> None:
        """Answer with a message that repeats what the person wrote: it is erased when the flow ends."""
        conversation = self._require_flow()
        echoes = list(conversation.data.get(ECHOES_KEY, []))
        subject = f"echo:{conversation.token}:{len(echoes) + 1}"
        conversation.data = {**conversation.data, ECHOES_KEY: [*echoes, subject]}
        self.reply(text, buttons, receipt=subject)

    async def erase_traces(self) -> None:
        """Erase now what the flow in progress traced (its typed messages and echoes), and forget them."""
        conversation = self.conversation
        if conversation is None or ERASE_KEY not in conversation.data:
            return
        ids = [*conversation.data.get(ERASE_KEY, []), self.incoming_id or ""]
        await self.erase(ids, conversation.data.get(ECHOES_KEY, []))
        conversation.data = {**conversation.data, ERASE_KEY: [], ECHOES_KEY: []}

    def notice(self, text: str) -> None:
        """A short acknowledgement of a button press."""
        self.outgoing.append(Notice(self.chat, text))

    async def audit(self, action: str, subject: str, **detail: Any) -> None:
        """Record that the acting person did ``action`` to ``subject`` (ids only, never sensitive text)."""
        await self.store.audit.record(self.person.id, action, subject, **detail)

    # Conversations -----------------------------------------------------------------------------------

    async def start_flow(self, flow: str, step: str, **data: Any) -> Conversation:
        """Begin a persisted flow in this chat; the person's next answer goes to ``step``.

        A flow whose ``data`` has an ``erase`` list traces what is typed in it (see :meth:`trace`); a flow it
        replaces has its traces erased first.
        """
        await self.erase_traces()
        self.conversation = await self.store.conversations.start(
            self.person.id, self.chat.platform, self.chat.chat_id, flow, step, data
        )
        return self.conversation

    async def goto(self, step: str, **data: Any) -> None:
        """Move the flow in progress to ``step``, saving answers in ``data``."""
        conversation = self._require_flow()
        conversation.step = step
        conversation.data = {**conversation.data, **data}
        await self.store.session.flush()

    async def end_flow(self) -> None:
        """Finish the flow in progress, forgetting its answers and erasing what it traced from the chat."""
        if self.conversation is not None:
            await self.erase_traces()
            await self.store.conversations.finish(self.conversation)
            self.conversation = None

    def flow_button(self, label: str, value: str) -> Button:
        """A button answering the current step; it goes stale when the flow ends or restarts."""
        conversation = self._require_flow()
        return Button(label, f"{FLOW_ACTION_PREFIX}{conversation.flow}", f"{conversation.token}:{value}")

    def _require_flow(self) -> Conversation:
        if self.conversation is None:
            raise RuntimeError("no conversation in progress")
        return self.conversation
