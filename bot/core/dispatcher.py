"""Turn one neutral event into answers: dedup, one DB transaction, person and locale, routing, guards.

This is the middleware of DESIGN.md: a session per event, commit after the handler, rollback and a
localised apology on error. No message content is ever logged, only the event's kind and the failing
code location.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import SecretariatIdentity, Settings
from bot.core import metrics
from bot.core.commands import build_aliases, match_command
from bot.core.context import FLOW_ACTION_PREFIX, Context
from bot.core.events import (
    ActionEvent,
    ChatRef,
    CommandEvent,
    Event,
    FormEvent,
    Notice,
    Outcome,
    OutgoingMessage,
    TextEvent,
)
from bot.core.i18n import Translator, current, normalise_language, resolve_locale
from bot.core.i18n import translator as shared_translator
from bot.core.router import Route, Router
from storage.crypto import SANDBOX_KEY
from storage.models import Identity, Person, Role
from storage.repositories import Store, bootstrap_marks

log = logging.getLogger(__name__)

# Below the connection pool (see storage.db), so a handler never waits for a database connection.
MAX_CONCURRENT_EVENTS = 16
MAX_TEXT_LENGTH = 4000  # a sane bound below both platforms' message sizes; longer input is refused
WELCOME = "welcome"  # the action onboarding registers to greet a newcomer (language choice, then start)


@dataclass(frozen=True)
class Resolved:
    """The route chosen for an event and the answer it carries (text typed or button value)."""

    route: Route
    answer: str = ""


class Dispatcher:
    """Handles events for every adapter through one router and one store."""

    def __init__(
        self, router: Router, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        self.router = router
        self.sessions = sessions
        self.settings = settings
        self.aliases = build_aliases(router.commands)
        self._secretariat = {(s.platform, s.workspace, s.user_id) for s in settings.secretariat}
        # Events wait here rather than for a database connection: a burst (5,000 sign-ons) must queue, not time out.
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_EVENTS)
        self._waiting = 0  # events queued for a slot
        self._translators: dict[tuple[str, str | None], Translator] = {}  # immutable, so shared by events

    @property
    def crowded(self) -> bool:
        """People's events are queued for their turn: the process is busy answering people right now."""
        return self._waiting > 0

    def add_secretariat(self, identities: Iterable[SecretariatIdentity]) -> None:
        """Bootstrap more secretariat identities (the demo's Slack secretariat member)."""
        self._secretariat |= {(s.platform, s.workspace, s.user_id) for s in identities}

    async def handle(self, event: Event) -> Outcome:
        """Process ``event`` once and return what to send; never raises for a handler's failure."""
        platform = event.chat.platform
        metrics.labelled(metrics.EVENTS, platform, type(event).__name__).inc()
        with metrics.labelled(metrics.LATENCY, platform).time():
            self._waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
            try:
                outcome = await self._handle(event)
            finally:
                self._slots.release()
        if outcome.duplicate:
            metrics.labelled(metrics.DUPLICATES, platform).inc()
        return outcome

    async def record_membership(self, event_id: str, chat: ChatRef, member: bool) -> None:
        """The bot joined (``member``) or left a group or channel: tell the features, once per platform event."""
        async with self.sessions() as session, session.begin():
            store = Store(session)
            if not await store.events.claim(chat.platform, event_id):
                return  # a replay must not undo a later change
            channel = await store.channels.get_or_create(
                chat.platform, chat.workspace, chat.chat_id, chat.title
            )
            channel.bot_member = member
            if chat.title:
                channel.title = chat.title

    def _translator(self, language: str, timezone: str | None = None) -> Translator:
        """One translator per language and time zone for the process: building one parses the locale."""
        if timezone is None:
            return shared_translator(language)
        key = (language, timezone)
        found = self._translators.get(key)
        if found is None:
            found = self._translators[key] = Translator(language, timezone)
        return found

    async def _handle(self, event: Event) -> Outcome:
        translator = self._translator(self.settings.default_language)
        try:
            async with self.sessions() as session, session.begin():
                store = Store(session)
                # Three round trips for a known person's event: who they are with their flow in progress (one
                # joined query), the event's claim (one upsert, already naming its owner), the commit.
                actor = event.actor
                arrival = await store.persons.arrival(
                    actor.platform, actor.workspace, actor.user_id, event.chat.chat_id
                )
                owner = arrival[0].person_id if arrival is not None else None
                if not await store.events.claim(event.chat.platform, event.event_id, owner=owner):
                    return Outcome(duplicate=True)
                known, conversation = arrival if arrival is not None else (None, None)
                # The platform's language for someone who never chose one, as the bot last learnt it: a burst of
                # such members after a restart must not cost a users.info each (Slack allows ~100 a minute).
                kept_hint = known.language_hint if known is not None else None
                if event.actor.profile is not None and (
                    known is None or (known.person.language is None and not kept_hint)
                ):
                    event = replace(event, actor=await event.actor.profile())  # a name and language to greet
                person, created = await self._person(store, event, known)
                translator = self._translator(
                    resolve_locale(
                        person.language,
                        event.actor.language_hint or kept_hint,
                        self.settings.default_language,
                    ),
                    person.timezone,
                )
                current.set(translator)
                ctx = Context(event, person, store, translator, self.settings, conversation)
                ctx.router = self.router
                await self._dispatch(ctx, newcomer=created and person.language is None)
                return Outcome(ctx.outgoing, language=ctx.locale)
        except Exception as error:
            self._log_failure(event, error)
            metrics.labelled(metrics.FAILURES, event.chat.platform).inc()
            return Outcome([self._apology(event, translator)])

    async def _person(self, store: Store, event: Event, known: Identity | None) -> tuple[Person, bool]:
        actor = event.actor
        person, created = await store.persons.get_or_create(
            actor.platform,
            actor.workspace,
            actor.user_id,
            display_name=actor.display_name,
            language_hint=actor.language_hint,
            private_chat_id=event.chat.chat_id if event.chat.is_private else None,
            known=known,
        )
        if (actor.platform, actor.workspace, actor.user_id) in self._secretariat:
            # Applied once (recorded in the store), so the secretariat can revoke a configured identity.
            previous = person.role
            keys = self.settings.data_keys or (SANDBOX_KEY,)
            marks = bootstrap_marks(keys, actor.platform, actor.workspace, actor.user_id)
            if await store.persons.apply_bootstrap(person, marks):
                await store.audit.record(
                    person.id, "role.bootstrap", f"person:{person.id}", old=previous.value
                )
        if created and person.role != Role.SECRETARIAT:
            await store.audit.record(
                person.id, "person.created", f"person:{person.id}", platform=actor.platform
            )
        return person, created

    async def _dispatch(self, ctx: Context, *, newcomer: bool = False) -> None:
        event = ctx.event
        if self._too_long(event):
            ctx.reply(
                ctx._(
                    "Your message is too long ({length} characters; the limit is {limit}). "
                    "Nothing was saved: please send it in shorter parts.",
                    length=self._length(event),
                    limit=MAX_TEXT_LENGTH,
                )
            )
            return
        welcome = self.router.actions.get(WELCOME)
        if newcomer and welcome is not None and ctx.chat.is_private:
            # A first message that is no command, or a platform language the bot does not speak: offer the
            # five languages before anything else, so nobody starts in a language they cannot read.
            hint = event.actor.language_hint
            unspoken = bool(hint) and normalise_language(hint) is None
            known = self._known(event)
            if known is None or (unspoken and known not in {"", "start", "language"}):
                await welcome.handler(ctx, event)
                if known is None:
                    return
        resolved = await self._resolve(ctx)
        if resolved is None:
            return
        route = resolved.route
        if ctx.person.role not in route.roles:
            ctx.reply(ctx._("Sorry, this isn't available to you. Type HELP to see what you can do."))
            return
        if route.private_only and not ctx.chat.is_private:
            ctx.reply(ctx._("Please write to me in a private chat for this."))
            return
        ctx.answer = resolved.answer
        await route.handler(ctx, event)

    async def _resolve(self, ctx: Context) -> Resolved | None:
        """Pick the handler; answer hints for what matches nothing. None means nothing to run."""
        event = ctx.event
        if isinstance(event, CommandEvent):
            return self._command(ctx, " ".join((event.name, *event.args)))
        if isinstance(event, ActionEvent):
            return self._action(ctx, event)
        if isinstance(event, FormEvent):
            route = self.router.actions.get(event.form)
            if route is None:
                ctx.reply(ctx._("This form has expired. Please start again."))
            return Resolved(route) if route else None
        if isinstance(event, TextEvent):
            return self._text(ctx, event)
        return None

    def _known(self, event: Event) -> str | None:
        """The command an event asks for, without side effects: None for text that is no command, "" for
        buttons, forms and unknown ``/commands`` (which answer for themselves)."""
        if isinstance(event, CommandEvent):
            text = " ".join((event.name, *event.args))
        elif isinstance(event, TextEvent):
            text = event.text.strip()
        else:
            return ""
        matched = match_command(self.aliases, text)
        if matched is None:
            return "" if isinstance(event, CommandEvent) or text.startswith("/") else None
        return matched[0]

    def _command(self, ctx: Context, text: str) -> Resolved | None:
        matched = match_command(self.aliases, text)
        route = self.router.commands.get(matched[0]) if matched else None
        if matched is None or route is None:
            ctx.reply(ctx._("I don't know that command. Type HELP to see what you can do."))
            return None
        return Resolved(route, matched[1].strip())

    def _text(self, ctx: Context, event: TextEvent) -> Resolved | None:
        if event.media is not None and ctx.conversation is None:
            ctx.reply(ctx._("I can only read written messages. Type HELP to see what you can do."))
            return None
        text = event.text.strip()
        matched = match_command(self.aliases, text)
        in_flow = ctx.conversation is not None
        # Inside a flow only a lone command word interrupts it, so an answer such as "help us" stays an answer.
        if text.startswith("/") or (matched is not None and (not in_flow or not matched[1])):
            if ctx.chat.is_private or text.startswith("/"):
                return self._command(ctx, text)
        if ctx.conversation is not None:
            flow = self.router.flows.get(ctx.conversation.flow)
            route = flow.steps.get(ctx.conversation.step) if flow else None
            if route is not None:
                return Resolved(route, text)
        if not ctx.chat.is_private:
            return None  # group chatter is not for the bot
        ctx.reply(ctx._("I didn't understand that. Type HELP to see what you can do."))
        return None

    def _action(self, ctx: Context, event: ActionEvent) -> Resolved | None:
        if event.action.startswith(FLOW_ACTION_PREFIX):
            token, _, value = event.payload.partition(":")
            conversation = ctx.conversation
            flow = self.router.flows.get(event.action.removeprefix(FLOW_ACTION_PREFIX))
            if (
                conversation is not None
                and flow is not None
                and conversation.flow == flow.name
                and conversation.token == token
                and conversation.step in flow.steps
            ):
                return Resolved(flow.steps[conversation.step], value)
        else:
            route = self.router.actions.get(event.action)
            if route is not None:
                return Resolved(route, event.payload)
        ctx.notice(ctx._("This button has expired."))
        ctx.reply(ctx._("This button is no longer valid: nothing was changed. Type HELP to start again."))
        return None

    @staticmethod
    def _length(event: Event) -> int:
        if isinstance(event, TextEvent):
            return len(event.text)
        if isinstance(event, CommandEvent):
            return len(" ".join(event.args))
        if isinstance(event, FormEvent):
            return max((len(v) for _, v in event.values), default=0)
        return 0

    def _too_long(self, event: Event) -> bool:
        return self._length(event) > MAX_TEXT_LENGTH

    @staticmethod
    def _log_failure(event: Event, error: BaseException) -> None:
        # Only the kind of event and where the code failed: exception messages may quote what a person wrote.
        frames = traceback.extract_tb(error.__traceback__)
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-4:]))
        log.error(
            "handler failed: %s on %s event %s (%s)",
            type(error).__name__,
            event.chat.platform,
            type(event).__name__,
            where,
        )

    @staticmethod
    def _apology(event: Event, translator: Translator) -> OutgoingMessage | Notice:
        text = translator.gettext(
            "Sorry, something went wrong on our side and nothing was saved. Please try again in a moment."
        )
        return OutgoingMessage(event.chat, text, rtl=translator.rtl)
