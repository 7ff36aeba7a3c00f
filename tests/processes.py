"""``sosbot`` processes started by tests against one PostgreSQL database, with the emulators in the test process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator
from storage.migrate import upgrade_async
from tests.conftest import _pg_admin, _pg_dsn_for
from tests.travel import python_m

ROOT = Path(__file__).resolve().parents[1]
WAIT = 60.0  # a bound on waiting, never an assertion on time


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def throwaway_database() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own (processes may outlive a test's truncation), dropped after."""
    name = f"sosbot_procs_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = _pg_dsn_for(name).replace("postgresql://", "postgresql+asyncpg://")
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def platform_environment(
    url: str, key: str, telegram: TelegramEmulator, slack: SlackEmulator, **extra: str
) -> dict[str, str]:
    """The environment of a process serving both emulators from ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    env.update(
        {
            "SOS_DATABASE_URL": url,
            "SOS_DATA_KEY": key,
            "SOS_TELEGRAM_TOKEN": telegram.token,
            "SOS_TELEGRAM_API_URL": telegram.base_url,
            "SOS_SLACK_BOT_TOKEN": slack.bot_token,
            "SOS_SLACK_SIGNING_SECRET": slack.signing_secret,
            "SOS_SLACK_API_URL": f"{slack.root}/api/",
            **extra,
        }
    )
    return env


@dataclass
class Process:
    """One ``python -m bot ...`` process; its stderr (the log) is collected as it comes."""

    process: asyncio.subprocess.Process
    port: int
    log: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(cls, args: list[str], env: dict[str, str], cwd: str) -> Process:
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            *python_m("bot", *args),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            # The project root on the path: with the clock moved the process starts as ``-m tests.travel``.
            env={**env, "SOS_HTTP_PORT": str(port), "PYTHONPATH": str(ROOT)},
            cwd=cwd,
        )
        started = cls(process, port)
        started.reader = asyncio.create_task(started._read())
        return started

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line.decode("utf-8", "replace"))
            self.changed.set()

    def text(self) -> str:
        return "".join(self.log)

    def count(self, text: str) -> int:
        return sum(text in line for line in self.log)

    async def wait_for_log(self, text: str) -> None:
        """Until the log has a line containing ``text`` (fails with the log after :data:`WAIT`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while text not in self.text():
            if self.process.returncode is not None or loop.time() > deadline:
                raise AssertionError(f"never logged {text!r}; logged:\n{self.text()}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=1.0)
            except TimeoutError:
                pass

    async def healthy(self) -> None:
        """Until ``/healthz`` answers 200 (the worker's claim loop is running)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.process.returncode is not None or loop.time() > deadline:
                    raise AssertionError(f"/healthz never answered 200; logged:\n{self.text()}")
                await asyncio.sleep(0.1)

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; returns the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = await asyncio.wait_for(self.process.wait(), timeout=WAIT)
        except TimeoutError:
            self.process.kill()
            status = await self.process.wait()
        await self.reader
        return status

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()

    reader: asyncio.Task[None] = field(init=False)
