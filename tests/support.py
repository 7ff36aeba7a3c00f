"""Helpers for dialog tests: sandbox people chatting through the transcript-recording console adapter."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.runner import build_worker
from bot.sandbox import find, seed
from storage.models import Delivery


async def people(app: App) -> None:
    """Seed the sandbox organisations and people."""
    await seed(app.sessions)


def chat(app: App, key: str, hint: str | None = None) -> ConsoleChat:
    """A private chat as ``key`` (a sandbox person, or a newcomer with that id)."""
    person = find(key)
    return ConsoleChat(app.dispatcher, key, person.name if person else key.title(), language_hint=hint)


async def delivered_texts(app: App, edits: Iterable[Delivery]) -> list[str]:
    """The text each edit row delivers, as the process's outbox worker renders it (live counts included)."""
    worker = build_worker(app, [])
    return [str(json.loads(await worker.edit_text(edit))["text"]) for edit in edits]


async def delivered_text(app: App, edit: Delivery) -> str:
    """The text one edit row delivers (see :func:`delivered_texts`)."""
    [text] = await delivered_texts(app, [edit])
    return text
