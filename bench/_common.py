"""Shared set-up for the benchmarks: a migrated throw-away store, emulators, the wired bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import aiohttp
from aiohttp import web

from bot.app import App, build_app
from bot.config import Settings
from bot.core.codec import encode
from bot.core.events import ChatRef, Edit, OutgoingMessage
from storage.migrate import upgrade_async
from storage.models import Delivery
from storage.outbox import URGENT, OutboxRepository, Target

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def store(kind: str) -> AsyncIterator[str]:
    """A migrated empty store: ``sqlite`` (a temp file) or ``postgresql`` (a temp database), removed after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await upgrade_async(url)
            yield url
        return
    import asyncpg

    name = f"sosbot_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await upgrade_async(url)
        yield url
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def bot(url: str, **overrides: object) -> App:
    """The bot on ``url`` with the sandbox key."""
    return build_app(replace(Settings(database_url=url), **overrides))  # type: ignore[arg-type]


async def enqueue(
    app: App, subject: str, targets: Sequence[Target], text: str = "Urgent appeal UA-2026-014"
) -> None:
    """Queue one copy per target, in batches of a thousand rows per transaction."""
    for start in range(0, len(targets), 1000):
        async with app.sessions() as session, session.begin():
            outbox = OutboxRepository(session)
            for target in targets[start : start + 1000]:
                session.add(
                    Delivery(
                        subject=subject, platform=target.platform, workspace=target.workspace,
                        chat_id=target.chat_id, language=target.language, priority=URGENT,
                        payload=encode(text, kind=target.kind),
                    )
                )  # fmt: skip
            del outbox


class NullAdapter:
    """Accepts every message at once: measures the engine itself, not a platform."""

    def __init__(self, platform: str = "telegram") -> None:
        self.platform = platform
        self.sent = 0

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutgoingMessage) -> str:
        self.sent += 1
        await asyncio.sleep(0)
        return str(self.sent)

    async def edit(self, edit: Edit) -> None:
        return None

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        return None


class ControlledProcess:
    """A helper process (the emulators, the players) on the other core: it prints one JSON line of URLs, is
    driven over its ``control`` URL, and ends when its stdin closes."""

    def __init__(self, module: str, *args: str) -> None:
        self.command = (sys.executable, "-m", module, *args)

    async def __aenter__(self) -> Self:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert self.process.stdout is not None
        self.urls: dict[str, str] = json.loads(await self.process.stdout.readline())
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.http.close()
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A request to the process's control URL; returns its JSON answer."""
        async with self.http.request(method, f"{self.urls['control']}{path}", json=body) as response:
            return await response.json()
