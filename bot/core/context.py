"""The one object a handler receives: who acted, where, in which language, the store, and how to answer."""

from __future__ import annotations

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
)
from bot.core.i18n import Translator, translator
from bot.core.router import Router
from storage.models import Conversation, Person
from storage.outbox import NORMAL, OutboxRepository, Target, encode
from storage.repositories import Store

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
    ) -> None:
        """Answer in the event's chat (or ``chat``, e.g. the person's private chat), optionally with files."""
        self.outgoing.append(
            OutgoingMessage(
                chat or self.chat, text, _rows(buttons), rtl=self.t.rtl, attachments=tuple(attachments)
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
        """Queue a message to another chat through the outbox, in this event's transaction.

        ``text`` must already be in ``target.language`` (use ``translator(target.language)``).
        Returns False when the same (subject, target, revision) was already queued.
        """
        rtl = translator(target.language).rtl
        payload = encode(text, buttons, rtl=rtl, kind=target.kind)
        queued = await OutboxRepository(self.store.session).enqueue(
            subject, target, payload, priority=priority, revision=revision
        )
        return queued is not None

    @property
    def can_open_form(self) -> bool:
        """Whether this event lets the bot answer with a form (a Slack slash command does)."""
        return isinstance(self.event, CommandEvent) and self.event.form_token is not None

    def form(self, form: str, title: str, fields: Sequence[FormField], submit: str) -> None:
        """Open a form; its submission comes back as a FormEvent routed to the action named ``form``."""
        assert isinstance(self.event, CommandEvent) and self.event.form_token is not None
        self.outgoing.append(Form(self.chat, form, title, tuple(fields), submit, self.event.form_token))

    def delete(self, message_id: str) -> None:
        """Delete a message in this chat after answering (e.g. a defender's report, once stored)."""
        self.outgoing.append(Delete(self.chat, message_id))

    def notice(self, text: str) -> None:
        """A short acknowledgement of a button press."""
        self.outgoing.append(Notice(self.chat, text))

    async def audit(self, action: str, subject: str, **detail: Any) -> None:
        """Record that the acting person did ``action`` to ``subject`` (ids only, never sensitive text)."""
        await self.store.audit.record(self.person.id, action, subject, **detail)

    # Conversations -----------------------------------------------------------------------------------

    async def start_flow(self, flow: str, step: str, **data: Any) -> Conversation:
        """Begin a persisted flow in this chat; the person's next answer goes to ``step``."""
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
        """Finish the flow in progress, forgetting its answers."""
        if self.conversation is not None:
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
