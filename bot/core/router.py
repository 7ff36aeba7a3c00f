"""Routing of neutral events to handlers, with role guards (aiogram-style routers, one per feature).

The router is the one registry of words a person types: command words (``router.command``, ``router.group``)
and subcommand words (``@group.sub``) are read from these declarations by the catalogue extractor
(:mod:`bot.core.i18n_extract`) and localised with ``pgettext("command", …)`` / ``pgettext("subcommand", …)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.core.commands import FIELD, SUBCOMMAND, build_aliases, localised_word, match_command
from bot.core.i18n import N_, Translator, isolate_latin
from storage.models import Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.config import Settings
    from bot.core.context import Context
    from bot.core.delivery import FailureKind
    from bot.core.events import ChatRef
    from bot.core.outbox_api import Draft
    from storage.models import Delivery
    from storage.repositories import Store

Handler = Callable[["Context", Any], Awaitable[None]]
SubHandler = Callable[["Context", list[str]], Awaitable[None]]
Where = Callable[["Context"], Awaitable[bool]]  # a guard that answers for itself when it refuses
JobRun = Callable[["async_sessionmaker[AsyncSession]", "Settings"], Awaitable[object]]
# Delivery hooks, called by the outbox worker: a target is gone for good; copies of these subjects moved.
TargetLostHook = Callable[
    ["async_sessionmaker[AsyncSession]", "Settings", "Delivery", "FailureKind"], Awaitable[None]
]
ProgressHook = Callable[["async_sessionmaker[AsyncSession]", "set[str]"], Awaitable[None]]
# A subject's live text in one language, rendered when its coalesced edit leaves (see ``Outbox.edit_live``):
# called with a session, the settings, the subject and the language; None when there is nothing to show.
LiveText = Callable[["AsyncSession", "Settings", str, str], Awaitable["Draft | None"]]
# The bot joined (True) or left (False) a group or channel; called in the event's transaction.
MembershipHook = Callable[["Store", "ChatRef", bool], Awaitable[None]]
ANYONE: frozenset[Role] = frozenset(Role)
SECRETARIAT: frozenset[Role] = frozenset({Role.SECRETARIAT})
MEMBERS: frozenset[Role] = frozenset({Role.MEMBER, Role.SECRETARIAT})


@dataclass(frozen=True)
class Job:
    """A periodic job of a feature: run every ``interval`` seconds by the worker, once across processes."""

    name: str
    interval: float
    run: JobRun


@dataclass(frozen=True)
class Route:
    """A handler and who may reach it.

    Attributes:
        summary: untranslated one-line description shown by ``help`` (None hides the command).
        private_only: refuse in group chats (sensitive flows, personal settings).
    """

    handler: Handler
    roles: frozenset[Role] = ANYONE
    summary: str | None = None
    private_only: bool = False


@dataclass
class Flow:
    """A named multi-step conversation; each step handles the person's next answer."""

    name: str
    steps: dict[str, Route] = field(default_factory=dict)
    roles: frozenset[Role] = ANYONE

    def step(self, name: str) -> Callable[[Handler], Handler]:
        """Register the handler for the answer given at step ``name``."""

        def register(handler: Handler) -> Handler:
            self.steps[name] = Route(handler, self.roles, private_only=True)
            return handler

        return register


@dataclass(frozen=True)
class Fields:
    """The words naming what a subcommand changes (``LETTER edit REF addressee …``, ``APPEAL update REF es
    title``), localised with ``pgettext("field", …)`` and typed as freely as command words.

    Declare them with the extraction marker (``Fields(pgettext("field", "title"), …)``) so the catalogue
    lists them; a usage line names them with ``{title}`` placeholders, filled with the reader's words.
    """

    words: tuple[str, ...]

    def __init__(self, *words: str) -> None:
        object.__setattr__(self, "words", words)

    def match(self, words: list[str]) -> tuple[str, list[str]] | None:
        """The field ``words`` start with (its English word) and the words after it."""
        matched = match_command(_field_aliases(self.words), " ".join(words))
        if matched is None:
            return None
        return matched[0], matched[1].split()

    def shown(self, t: Translator) -> dict[str, str]:
        """Each field's word in ``t``'s language, keyed by its English word (the usage lines' placeholders)."""
        return {word: localised_word(word, t.language, FIELD) for word in self.words}


@cache
def _field_aliases(words: tuple[str, ...]) -> Mapping[str, str]:
    return build_aliases(words, context=FIELD)


def typed(
    t: Translator, command: str, sub: str | None = None, *values: str, subject_first: bool = False
) -> str:
    """What a person of ``t``'s language types: ``APPEAL send UA-2026-001``, ``LLAMAMIENTO enviar …``.

    Hints inside replies («Next: …») use this, so the words shown are the words the router accepts.
    """
    parts = [localised_word(command, t.language).upper()]
    word = [localised_word(sub, t.language, SUBCOMMAND)] if sub else []
    parts += [*values[:1], *word, *values[1:]] if subject_first else [*word, *values]
    line = " ".join(parts)
    return isolate_latin(line) if t.rtl else line


def sub_word(t: Translator, word: str) -> str:
    """A subcommand's word in ``t``'s language (``translate`` → ``traducir``), for lists inside hints."""
    return localised_word(word, t.language, SUBCOMMAND)


def next_steps(t: Translator, command: str, *words: str) -> dict[str, str]:
    """The placeholders of a «Next: {first}, {second}…» hint: the first step as typed (``APPEAL translate``),
    the others as their subcommand words, keyed by their English words."""
    first, *others = words
    return {first: typed(t, command, first), **{word: sub_word(t, word) for word in others}}


class UsageError(Exception):
    """Raised by a subcommand given too few words: the group answers with that subcommand's usage line."""


@dataclass(frozen=True)
class Sub:
    """One subcommand of a group.

    Attributes:
        word: the canonical English word (localised with ``pgettext("subcommand", word)``).
        usage: untranslated description of the arguments (``N_("REF language")``), shown in usage lines.
    """

    word: str
    handler: SubHandler
    usage: str | None = None
    fields: Fields | None = None


class Group:
    """A command whose first word picks a subcommand: ``APPEAL send REF``, ``نداء إرسال REF``.

    Guards (roles, where it may be used) are declared once on the group; every subcommand word is localised
    through the catalogue and typed as freely as command words (see :func:`bot.core.commands.normalise_word`);
    the usage lines are generated in the reader's language from the declarations.
    """

    def __init__(
        self,
        name: str,
        *,
        where: Where | None = None,
        subject_first: bool = False,
        subject: str = N_("REF"),
        listed: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.listed = listed
        self.where = where
        self.subject_first = subject_first
        self.subject_usage = subject
        self.subs: dict[str, Sub] = {}
        self.fallback: SubHandler | None = None
        self._aliases: dict[str, str] | None = None

    def sub(
        self, word: str, *, usage: str | None = None, fields: Fields | None = None
    ) -> Callable[[SubHandler], SubHandler]:
        """Register the handler of subcommand ``word``; it gets the words after it (the subject first).

        ``fields`` are the words it accepts after the subject; ``usage`` names them as ``{placeholders}``.
        """

        def register(handler: SubHandler) -> SubHandler:
            if word in self.subs:
                raise ValueError(f"subcommand {self.name} {word!r} registered twice")
            self.subs[word] = Sub(word, handler, usage, fields)
            self._aliases = None
            return handler

        return register

    def otherwise(self, handler: SubHandler) -> SubHandler:
        """Register what runs when no subcommand word is given or recognised (it gets every word)."""
        self.fallback = handler
        return handler

    @property
    def aliases(self) -> dict[str, str]:
        """Every folded form of every subcommand word, in the five languages, mapped to its English word."""
        if self._aliases is None:
            self._aliases = dict(build_aliases(self.subs, context=SUBCOMMAND))
        return self._aliases

    def match(self, words: list[str]) -> tuple[Sub, list[str]] | None:
        """The subcommand ``words`` start with and the words after it."""
        matched = match_command(self.aliases, " ".join(words))
        if matched is None:
            return None
        return self.subs[matched[0]], matched[1].split()

    async def run(self, ctx: Context, event: Any) -> None:
        """The command's handler: guard, pick the subcommand, else the fallback, else the usage lines."""
        if self.where is not None and not await self.where(ctx):
            return
        words = ctx.answer.split()
        subject, rest = (words[:1], words[1:]) if self.subject_first else ([], words)
        found = self.match(rest) if rest and (subject or not self.subject_first) else None
        if found is not None:
            sub, remaining = found
            # Handlers that take free text read it from ``ctx.answer``: the words after the subcommand word,
            # line breaks kept (the subject first when it comes before the subcommand).
            consumed = len(words) - len(subject) - len(remaining)
            parts = ctx.answer.split(None, len(subject) + consumed)
            tail = parts[-1] if len(parts) > len(subject) + consumed else ""
            ctx.answer = " ".join([*subject, tail]).strip() if subject else tail.strip()
            try:
                await sub.handler(ctx, [*subject, *remaining])
            except UsageError:
                ctx.reply(ctx._("Usage: {usage}", usage=self.usage_line(ctx.t, sub.word)))
        elif self.fallback is not None:
            await self.fallback(ctx, words)
        else:
            ctx.reply(self.usage(ctx.t))

    def line(self, t: Translator, word: str, *values: str) -> str:
        """``APPEAL send`` in ``t``'s language, followed by ``values`` (``APPEAL send UA-2026-001``)."""
        return typed(t, self.name, word, *values, subject_first=self.subject_first)

    def listing(self, t: Translator) -> str:
        """The command and its main subcommand words in ``t``'s language (``help``): ``APPEAL new, send``."""
        words = [localised_word(word, t.language, SUBCOMMAND) for word in self.listed or self.subs]
        separator = t.pgettext("list separator", ", ")
        line = f"{localised_word(self.name, t.language).upper()} {separator.join(words)}"
        return isolate_latin(line) if t.rtl else line

    def usage_line(self, t: Translator, word: str) -> str:
        """One subcommand's usage in ``t``'s language: ``APPEAL translate REF language``."""
        sub = self.subs[word]
        subject = [t.gettext(self.subject_usage)] if self.subject_first else []
        shown = sub.fields.shown(t) if sub.fields else {}
        arguments = [t.gettext(sub.usage, **shown)] if sub.usage else []
        return self.line(t, word, *subject, *arguments)

    def usage(self, t: Translator) -> str:
        """Every subcommand's usage, one per line, under a translated heading."""
        return "\n".join([t.gettext("Usage:"), *(self.usage_line(t, word) for word in self.subs)])


class Router:
    """Collects commands, button actions, flows and text fallbacks of one feature module."""

    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.actions: dict[str, Route] = {}
        self.flows: dict[str, Flow] = {}
        self.groups: dict[str, Group] = {}
        self.jobs: dict[str, Job] = {}
        self.target_lost_hooks: list[TargetLostHook] = []
        self.progress_hooks: list[ProgressHook] = []
        self.membership_hooks: list[MembershipHook] = []
        self.live_texts: dict[str, LiveText] = {}  # subject kind ("letter" for "letter:12") -> its live text

    def command(
        self,
        name: str,
        *,
        roles: Iterable[Role] = ANYONE,
        summary: str | None = None,
        private_only: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register a command handler; ``name`` is the canonical English word (localised aliases map to it)."""

        def register(handler: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"command {name!r} registered twice")
            self.commands[name] = Route(handler, frozenset(roles), summary, private_only)
            return handler

        return register

    def action(self, name: str, *, roles: Iterable[Role] = ANYONE) -> Callable[[Handler], Handler]:
        """Register a button action handler."""

        def register(handler: Handler) -> Handler:
            if name in self.actions:
                raise ValueError(f"action {name!r} registered twice")
            self.actions[name] = Route(handler, frozenset(roles))
            return handler

        return register

    def group(
        self,
        name: str,
        *,
        roles: Iterable[Role] = ANYONE,
        where: Where | None = None,
        summary: str | None = None,
        private_only: bool = False,
        subject_first: bool = False,
        subject: str = N_("REF"),
        listed: tuple[str, ...] = (),
    ) -> Group:
        """Declare a command with subcommands (``APPEAL send REF``); register them with ``@group.sub(...)``.

        Args:
            name: the command's canonical English word (localised like any command).
            roles: who may use the command and all its subcommands.
            where: a guard run before any subcommand (e.g. "only in a private chat or the triage channel").
            summary: untranslated line for ``help``.
            private_only: refuse the whole group in group chats.
            subject_first: the subject comes before the subcommand (``CASE REF link …``).
            listed: the subcommands ``help`` names, in this order (all of them by default).
        """
        group = Group(name, where=where, subject_first=subject_first, subject=subject, listed=listed)
        self.command(name, roles=roles, summary=summary, private_only=private_only)(group.run)
        self.groups[name] = group
        return group

    def flow(self, name: str, *, roles: Iterable[Role] = ANYONE) -> Flow:
        """Declare a conversation flow; register its steps with ``@flow.step(...)``."""
        if name in self.flows:
            raise ValueError(f"flow {name!r} declared twice")
        flow = Flow(name, roles=frozenset(roles))
        self.flows[name] = flow
        return flow

    def public_commands(self) -> Iterator[tuple[str, Route]]:
        """Commands anyone may use that ``help`` lists (a platform's command menu shows these)."""
        return (
            (name, route) for name, route in self.commands.items() if route.summary and route.roles == ANYONE
        )

    def job(self, name: str, *, every: float) -> Callable[[JobRun], JobRun]:
        """Declare a periodic job (``name`` also names its lock and its log lines); the worker runs it."""

        def register(run: JobRun) -> JobRun:
            if name in self.jobs:
                raise ValueError(f"job {name!r} declared twice")
            self.jobs[name] = Job(name, every, run)
            return run

        return register

    def on_target_lost(self, hook: TargetLostHook) -> TargetLostHook:
        """Declare what to do when the outbox finds a target gone for good (blocked, not found)."""
        self.target_lost_hooks.append(hook)
        return hook

    def on_progress(self, hook: ProgressHook) -> ProgressHook:
        """Declare what to do when the outbox delivered copies of some subjects (e.g. refresh a live status)."""
        self.progress_hooks.append(hook)
        return hook

    def on_membership(self, hook: MembershipHook) -> MembershipHook:
        """Declare what to do when the bot joins or leaves a group or channel."""
        self.membership_hooks.append(hook)
        return hook

    def live_text(self, kind: str) -> Callable[[LiveText], LiveText]:
        """Declare how subjects ``kind:…`` read when their live edits leave (one feature per kind)."""

        def register(render: LiveText) -> LiveText:
            self.live_texts[kind] = render
            return render

        return register

    def include(self, *others: Router) -> Router:
        """Merge other routers into this one (the composition root does this); names must not clash."""
        for other in others:
            for table, theirs in ((self.commands, other.commands), (self.actions, other.actions)):
                clash = table.keys() & theirs.keys()
                if clash:
                    raise ValueError(f"duplicate routes: {sorted(clash)}")
                table.update(theirs)
            if self.flows.keys() & other.flows.keys():
                raise ValueError(f"duplicate flows: {sorted(self.flows.keys() & other.flows.keys())}")
            self.flows.update(other.flows)
            self.groups.update(other.groups)
            if self.jobs.keys() & other.jobs.keys():
                raise ValueError(f"duplicate jobs: {sorted(self.jobs.keys() & other.jobs.keys())}")
            self.jobs.update(other.jobs)
            if self.live_texts.keys() & other.live_texts.keys():
                raise ValueError(
                    f"duplicate live texts: {sorted(self.live_texts.keys() & other.live_texts.keys())}"
                )
            self.live_texts.update(other.live_texts)
            self.target_lost_hooks += [h for h in other.target_lost_hooks if h not in self.target_lost_hooks]
            self.progress_hooks += [h for h in other.progress_hooks if h not in self.progress_hooks]
            self.membership_hooks += [h for h in other.membership_hooks if h not in self.membership_hooks]
        return self
