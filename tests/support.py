"""Helpers for dialog tests: sandbox people chatting through the transcript-recording console adapter."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.sandbox import find, seed


async def people(app: App) -> None:
    """Seed the sandbox organisations and people."""
    await seed(app.sessions)


def chat(app: App, key: str, hint: str | None = None) -> ConsoleChat:
    """A private chat as ``key`` (a sandbox person, or a newcomer with that id)."""
    person = find(key)
    return ConsoleChat(app.dispatcher, key, person.name if person else key.title(), language_hint=hint)
