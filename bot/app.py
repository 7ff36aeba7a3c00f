"""Composition root: settings → keyring, engine, router, dispatcher. Adapters are attached by the runner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core import pacing
from bot.core.dispatcher import Dispatcher
from bot.core.replies import ReplySender
from handlers import build_router
from storage.crypto import SANDBOX_KEY, Keyring, install_keyring
from storage.db import create_engine, session_factory


@dataclass
class App:
    """One bot process's shared parts."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    dispatcher: Dispatcher
    pacer: pacing.Pacer  # one budget per platform, shared by direct replies and the outbox worker
    replies: ReplySender

    async def close(self) -> None:
        """Release database connections."""
        await self.engine.dispose()


DEFAULT_TIME_SCALE = 1.0  # real time; the test suite runs at a hundredth, as its emulators do


def build_app(settings: Settings, time_scale: float | None = None) -> App:
    """Wire the store, the keyring and the handlers for ``settings``.

    The sandbox's fixed key is used only when no key is configured, which config allows in sandbox mode only.
    ``time_scale`` shrinks the pacing windows (tests and the demo, whose emulators shrink time alike).
    """
    install_keyring(Keyring(settings.data_keys or (SANDBOX_KEY,)))
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    scale = DEFAULT_TIME_SCALE if time_scale is None else time_scale
    pacer = pacing.Pacer({p: limits.scaled(scale) for p, limits in pacing.DEFAULT_LIMITS.items()})
    dispatcher = Dispatcher(build_router(), sessions, settings)
    return App(settings, engine, sessions, dispatcher, pacer, ReplySender(pacer, sessions, scale))
