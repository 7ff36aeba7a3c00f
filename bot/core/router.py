"""Routing of neutral events to handlers, with role guards (aiogram-style routers, one per feature)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from storage.models import Role

if TYPE_CHECKING:
    from bot.core.context import Context

Handler = Callable[["Context", Any], Awaitable[None]]
ANYONE: frozenset[Role] = frozenset(Role)
SECRETARIAT: frozenset[Role] = frozenset({Role.SECRETARIAT})
MEMBERS: frozenset[Role] = frozenset({Role.MEMBER, Role.SECRETARIAT})


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


class Router:
    """Collects commands, button actions, flows and text fallbacks of one feature module."""

    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.actions: dict[str, Route] = {}
        self.flows: dict[str, Flow] = {}

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

    def flow(self, name: str, *, roles: Iterable[Role] = ANYONE) -> Flow:
        """Declare a conversation flow; register its steps with ``@flow.step(...)``."""
        if name in self.flows:
            raise ValueError(f"flow {name!r} declared twice")
        flow = Flow(name, roles=frozenset(roles))
        self.flows[name] = flow
        return flow

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
        return self
