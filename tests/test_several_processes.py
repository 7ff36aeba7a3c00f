"""Several ``sosbot`` processes on one PostgreSQL database, as an operator scales a deployment out.

The workers are real processes (``python -m bot worker``); the Telegram and Slack emulators run in the test
process with the platforms' published limits on. The emulators' windows are ``LOOSER`` times the workers'
(a 20 % allowance): on this loaded two-core machine a request can reach the emulator a few hundred
milliseconds after it left its worker (slack-sdk opens a connection per call), which one process's pacing
margin of 4 % does not absorb. A second owner of a platform would double its rate and burst its chats,
far past that allowance. Under ``CI=true`` these tests run, never skip.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator
from bot.app import App, build_app
from bot.core.codec import encode
from bot.core.events import ChatKind
from handlers import build_router
from storage.crypto import generate_key
from storage.models import Delivery
from storage.outbox import OutboxRepository, Target
from tests.conftest import make_settings
from tests.processes import WAIT, Process, platform_environment, throwaway_database

SCALE = 1.0  # the workers' pacing clock (--time-scale)
LOOSER = 0.8  # the emulators' clock, relative to the workers'
JOBS = tuple(sorted(build_router().jobs))  # every feature's declared periodic jobs


class Deployment:
    """A throw-away database, both emulators with their limits on, and the processes started on them."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.key = generate_key()
        self.telegram = TelegramEmulator(rate_limits=True, time_scale=SCALE * LOOSER)
        self.slack = SlackEmulator(rate_limits=True, time_scale=SCALE * LOOSER)
        self.processes: list[Process] = []
        self.app: App

    async def __aenter__(self) -> Deployment:
        await self.telegram.start()
        await self.slack.start()
        self.app = build_app(make_settings(self.url, data_keys=(self.key,)))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for process in self.processes:
            process.kill()
        await self.app.close()
        await self.slack.stop()
        await self.telegram.stop()

    async def start(self, *args: str) -> Process:
        env = platform_environment(self.url, self.key, self.telegram, self.slack)
        process = await Process.start(list(args), env, str(self.tmp_path))
        self.processes.append(process)
        return process

    async def queue(self, rows: list[tuple[str, Target]]) -> None:
        """Queue ``(subject, target)`` rows in one transaction, as a handler does."""
        async with self.app.sessions() as session, session.begin():
            outbox = OutboxRepository(session)
            for subject, target in rows:
                await outbox.enqueue(subject, target, encode(f"Appel urgent {subject}", kind=target.kind))

    async def all_sent(self, count: int) -> None:
        """Until ``count`` rows are recorded as sent (or :data:`WAIT` passed: the assertions then tell)."""
        for _ in range(int(WAIT / 0.1)):
            if await self.sent() >= count:
                return
            await asyncio.sleep(0.1)

    async def sent(self) -> int:
        async with self.app.sessions() as session:
            found = await session.execute(select(func.count(Delivery.id)).where(Delivery.status == "sent"))
            return int(found.scalar_one())


@pytest.fixture
async def deployment(postgres_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    """``postgres_url`` makes an unreachable server fail under CI; the processes get a database of their own."""
    del postgres_url
    async with throwaway_database() as url, Deployment(url, tmp_path) as started:
        yield started


def private(chat: int) -> Target:
    return Target("telegram", str(chat), "fr", kind=ChatKind.PRIVATE)


def channel(name: str) -> Target:
    return Target("slack", name, "fr", "T0SANDBOX", ChatKind.GROUP)


def appeal() -> list[tuple[str, Target]]:
    """One appeal to 150 private Telegram chats (Telegram's 30 messages a second overall is what binds)."""
    return [("appeal:1", private(500_000 + n)) for n in range(150)]


def updates(part: str, telegram: bool = True) -> list[tuple[str, Target]]:
    """Five messages each to 12 Slack channels (and 8 private Telegram chats), past each chat's burst.

    Only one process pacing a chat keeps it under its limit: two would each send their share at once.
    """
    rows = []
    for n in range(5):
        rows += [(f"update:{part}:{n}", private(600_000 + chat)) for chat in range(8) if telegram]
        rows += [(f"update:{part}:{n}", channel(f"C{part}{chat:03d}")) for chat in range(12)]
    return rows


async def test_two_worker_processes_deliver_every_row_once_within_the_platforms_limits(
    deployment: Deployment,
) -> None:
    telegram, slack = deployment.telegram, deployment.slack
    # Telegram's chats get their five messages once the appeal is out: behind a broadcast's backlog the
    # pacer's per-chat slots are booked at claim time and can bunch up at departure (a one-process matter).
    rows = appeal() + updates("A", telegram=False)
    await deployment.queue(rows)  # waiting when the workers start, and claimed by both at once
    workers = [await deployment.start("worker", "--time-scale", str(SCALE)) for _ in range(2)]
    for worker in workers:
        await worker.healthy()

    def delivered() -> Counter[tuple[str, str]]:
        got: Counter[tuple[str, str]] = Counter()
        for chat, messages in telegram.messages.items():
            got["telegram", str(chat)] += len([m for m in messages if m.from_bot])
        for name, posts in slack.messages.items():
            got["slack", name] += len([m for m in posts if m.user == slack.bot_user_id])
        return got

    await telegram.wait_for(lambda: sum(delivered().values()) >= len(rows), timeout=WAIT)
    more = updates("B")
    await deployment.queue(more)  # queued while they run: both wake on its notification
    rows += more
    await telegram.wait_for(lambda: sum(delivered().values()) >= len(rows), timeout=WAIT)
    await deployment.all_sent(len(rows))  # the outcomes are written

    assert delivered() == Counter((target.platform, target.chat_id) for _subject, target in rows)  # each once
    assert await deployment.sent() == len(rows)
    assert telegram.rate_limit_hits == 0 and slack.rate_limit_hits == 0  # the limits held for both together
    texts = [m.text for m in telegram.messages[600_000]]
    assert sorted(texts) == [f"Appel urgent update:B:{n}" for n in range(5)]  # a burst may land in any order
    owners = [
        line for worker in workers for line in worker.log if "this process owns its rate budget" in line
    ]
    assert sorted(line.split("delivering ")[1].split(":")[0] for line in owners) == ["slack", "telegram"]
    for worker in workers:  # the first to stop hands its platforms over to the other
        status = await worker.stop()
        assert status == 0 and "Traceback" not in worker.text()


async def test_each_periodic_job_runs_once_with_two_worker_processes(deployment: Deployment) -> None:
    workers = [await deployment.start("-v", "worker") for _ in range(2)]
    for job in JOBS:
        for worker in workers:
            await worker.wait_for_log(f"periodic job {job}: run by")
        runner = next(w for w in workers if w.count(f"periodic job {job}: run by this process"))
        await runner.wait_for_log(f"periodic job {job} ran")
    for job in JOBS:
        assert sum(w.count(f"periodic job {job}: run by this process") for w in workers) == 1
        assert sum(w.count(f"periodic job {job}: run by another process") for w in workers) == 1
        assert sum(w.count(f"periodic job {job} ran") for w in workers) == 1
    for worker in workers:
        assert await worker.stop() == 0 and "Traceback" not in worker.text()


async def test_a_notification_wakes_an_idle_worker_long_before_its_poll(deployment: Deployment) -> None:
    # It looks for due rows every ten minutes by itself: only the NOTIFY of the enqueueing commit can
    # bring these rows out within the test's wait.
    worker = await deployment.start("worker", "--time-scale", str(SCALE), "--poll", "600")
    await worker.wait_for_log("outbox: listening for notifications")
    await worker.wait_for_log("delivering telegram")
    await worker.wait_for_log("delivering slack")
    await worker.healthy()
    telegram, slack = deployment.telegram, deployment.slack

    await deployment.queue([("relay:1", private(700_001))])
    await telegram.wait_for(lambda: bool(telegram.messages_in(700_001)), timeout=WAIT)
    await deployment.queue([("relay:2", channel("CRELAY"))])
    await slack.wait_for(lambda: bool(slack.messages_in("CRELAY")), timeout=WAIT)
    await deployment.queue([("relay:3", private(700_001))])
    await telegram.wait_for(lambda: len(telegram.messages_in(700_001)) == 2, timeout=WAIT)

    assert [m.text for m in telegram.messages_in(700_001)] == ["Appel urgent relay:1", "Appel urgent relay:3"]
    assert await worker.stop() == 0 and "Traceback" not in worker.text()


@pytest.mark.parametrize("command", ["worker", "web"])
def test_web_and_worker_on_sqlite_refuse_with_one_line(command: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    env.update(
        {
            "SOS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}",
            "SOS_TELEGRAM_TOKEN": "1:x",
            "SOS_DATA_KEY": generate_key(),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", command],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"sosbot: '{command}' is one of several processes sharing a PostgreSQL database; with SQLite "
        f"(SOS_DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'sos.db'}) one process does everything: "
        "use 'sosbot run'"
    ]
    assert not (tmp_path / "sos.db").exists()  # refused before touching the store
