"""Composition root: settings → keyring, engine, router, dispatcher. Adapters are attached by the runner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.dispatcher import Dispatcher
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

    async def close(self) -> None:
        """Release database connections."""
        await self.engine.dispose()


def build_app(settings: Settings) -> App:
    """Wire the store, the keyring and the handlers for ``settings``.

    The sandbox's fixed key is used only when no key is configured, which config allows in sandbox mode only.
    """
    install_keyring(Keyring(settings.data_keys or (SANDBOX_KEY,)))
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    return App(settings, engine, sessions, Dispatcher(build_router(), sessions, settings))
