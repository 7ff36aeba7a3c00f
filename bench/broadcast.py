"""One urgent appeal to 3,000 Telegram chats and 300 Slack channels through the emulators, limits on.

Then the same broadcast on PostgreSQL delivered by 2 and by 4 ``sosbot worker`` processes together.

Run: ``.venv/bin/python -m bench.broadcast [time_scale]`` (default 0.5: the platforms' windows shrink by half,
so the 100 s the limits impose take 50 s; the emulators run in their own process). The pacer counts each message
in the platform's window until its answer is back, so the few milliseconds of a round trip weigh more the more
the windows shrink: 1.0 is the published limits exactly. Prints, for the outbox engine and for the usual way
(python-telegram-bot's AIORateLimiter with asyncio.gather over send_message): time to complete against the
lower bound the limits allow, the achieved fraction of the allowed rate, 429s, lost and duplicated.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench._common import ControlledProcess, bot, enqueue, store
from bot.adapters.slack import build_slack_adapter
from bot.adapters.telegram import build_telegram_adapter
from bot.app import App
from bot.core.events import ChatKind
from bot.core.outbox import OutboxWorker, WorkerConfig
from storage.crypto import generate_key
from storage.models import Delivery
from storage.outbox import Target

PRIVATE, GROUPS, SLACK_CHANNELS = 2_700, 300, 300
WORKER_PROCESSES = (2, 4)  # ``sosbot worker`` processes sharing one PostgreSQL
TELEGRAM_RATE = 30.0  # messages/s overall, the binding limit for a one-message-per-chat broadcast


@dataclass
class Run:
    name: str
    seconds: float
    telegram_seconds: float
    rate_limited: int
    lost: int
    duplicated: int


def telegram_targets() -> list[Target]:
    private = [Target("telegram", str(100_000 + i), "en", kind=ChatKind.PRIVATE) for i in range(PRIVATE)]
    groups = [Target("telegram", str(-1_000_000 - i), "en", kind=ChatKind.GROUP) for i in range(GROUPS)]
    mixed = [t for pair in zip(private[: GROUPS * 9 : 9], groups, strict=False) for t in pair]
    return mixed + [t for t in private if t not in set(mixed)]


def slack_targets() -> list[Target]:
    return [Target("slack", f"C{i:06d}", "en", "T0SANDBOX", ChatKind.GROUP) for i in range(SLACK_CHANNELS)]


class Emulators(ControlledProcess):
    """The emulators' process: its URLs, and the counts it keeps."""

    def __init__(self, scale: float) -> None:
        super().__init__("bench._emulators", str(scale))
        self.scale = scale

    async def reset(self) -> None:
        await self.http.post(f"{self.urls['control']}/reset")

    async def tally(self, name: str, seconds: float) -> Run:
        async with self.http.get(f"{self.urls['control']}/stats") as response:
            stats = await response.json()
        delivered: dict[str, int] = stats["delivered"]
        expected = {t.chat_id for t in telegram_targets()} | {t.chat_id for t in slack_targets()}
        lost = len([chat for chat in expected if not delivered.get(chat)])
        duplicated = sum(count - 1 for count in delivered.values() if count > 1)
        return Run(name, seconds, stats["telegram_seconds"], stats["rate_limited"], lost, duplicated)


async def engine_run(emulators: Emulators) -> Run:
    urls, scale = emulators.urls, emulators.scale
    async with store("sqlite") as url:
        app = bot(url, telegram_token=urls["telegram_token"], telegram_api_url=urls["telegram"],
                  slack_bot_token=urls["slack_token"], slack_signing_secret="x", slack_api_url=urls["slack"])  # fmt: skip
        tg_adapter, slack_adapter = (
            build_telegram_adapter(app, timeout=30.0),
            build_slack_adapter(app, timeout=30.0),
        )
        await tg_adapter.application.initialize()
        await enqueue(app, "appeal:1", telegram_targets() + slack_targets())
        worker = OutboxWorker(
            app.sessions,
            {"telegram": tg_adapter, "slack": slack_adapter},
            config=WorkerConfig(
                time_scale=scale, batch=200, max_in_flight=400, idle_poll=0.05, flush_interval=0.1
            ),
        )
        started = time.perf_counter()
        await worker.run_until_idle(timeout=600)
        seconds = time.perf_counter() - started
        await tg_adapter.application.shutdown()
        await app.close()
    return await emulators.tally("outbox engine", seconds)


async def workers_run(emulators: Emulators, processes: int) -> Run:
    """The same broadcast on PostgreSQL, delivered by ``processes`` ``sosbot worker`` processes together."""
    urls, scale = emulators.urls, emulators.scale
    key = generate_key()
    async with store("postgresql") as url:
        app = bot(url, data_keys=(key,))
        await enqueue(app, "appeal:1", telegram_targets() + slack_targets())
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
        env |= {"SOS_DATABASE_URL": url, "SOS_DATA_KEY": key, "SOS_TELEGRAM_TOKEN": urls["telegram_token"],
                "SOS_TELEGRAM_API_URL": urls["telegram"], "SOS_SLACK_BOT_TOKEN": urls["slack_token"],
                "SOS_SLACK_SIGNING_SECRET": "x", "SOS_SLACK_API_URL": urls["slack"]}  # fmt: skip
        started = time.perf_counter()
        command = (sys.executable, "-m", "bot", "worker", "--time-scale", str(scale))
        log = (
            None if os.environ.get("BENCH_LOG") else asyncio.subprocess.DEVNULL
        )  # BENCH_LOG=1: see their logs
        workers = [  # each serves its /healthz on a port of its own
            await asyncio.create_subprocess_exec(
                *command, env=env | {"SOS_HTTP_PORT": str(free_port())}, stdout=log, stderr=log
            )
            for _ in range(processes)
        ]
        try:
            for _ in range(3000):  # at most ten minutes
                if not await pending(app) or all(w.returncode is not None for w in workers):
                    break
                await asyncio.sleep(0.2)
            seconds = time.perf_counter() - started
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.terminate()
            await asyncio.gather(*(worker.wait() for worker in workers))
            await app.close()
    plural = "es" if processes > 1 else ""
    return await emulators.tally(f"{processes} worker process{plural} (PG)", seconds)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def pending(app: App) -> int:
    """Rows not yet sent or failed."""
    async with app.sessions() as session:
        found = await session.execute(
            select(func.count(Delivery.id)).where(Delivery.status.not_in(("sent", "failed")))
        )
        return int(found.scalar_one())


async def usual_run(emulators: Emulators) -> Run:
    """What a bot without an outbox does: PTB's AIORateLimiter, one gather over every chat."""
    # It logs a traceback for every message it gives up on; the tally counts them instead.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    urls, scale = emulators.urls, emulators.scale
    limiter = AIORateLimiter(overall_max_rate=TELEGRAM_RATE, overall_time_period=scale,
                             group_max_rate=20, group_time_period=60 * scale, max_retries=3)  # fmt: skip
    request = HTTPXRequest(connection_pool_size=512, read_timeout=60, pool_timeout=60)
    tg = ExtBot(urls["telegram_token"], base_url=urls["telegram"], request=request, rate_limiter=limiter)
    sk = AsyncWebClient(token=urls["slack_token"], base_url=urls["slack"])
    await tg.initialize()

    async def send_tg(target: Target) -> None:
        try:
            await tg.send_message(int(target.chat_id), "Urgent appeal UA-2026-014")
        except TelegramError:
            pass  # counted as lost by the emulator's tally

    async def send_slack(target: Target) -> None:
        try:
            await sk.chat_postMessage(channel=target.chat_id, text="Urgent appeal UA-2026-014")
        except SlackApiError:
            pass

    started = time.perf_counter()
    await asyncio.gather(*(send_tg(t) for t in telegram_targets()), *(send_slack(t) for t in slack_targets()))
    seconds = time.perf_counter() - started
    await tg.shutdown()
    return await emulators.tally("AIORateLimiter + gather", seconds)


async def main(scale: float) -> None:
    messages = PRIVATE + GROUPS
    bound = messages / TELEGRAM_RATE * scale
    print(f"broadcast: {PRIVATE:,} Telegram private chats + {GROUPS} groups, {SLACK_CHANNELS} Slack channels")
    print(
        f"limits on, windows scaled ×{scale}: lower bound {bound:.2f} s (= {messages / TELEGRAM_RATE:.0f} s unscaled)"
    )
    async with Emulators(scale) as emulators:
        engine = await engine_run(emulators)
        await emulators.reset()
        usual = await usual_run(emulators)
        several = []
        for processes in WORKER_PROCESSES:
            await emulators.reset()
            several.append(await workers_run(emulators, processes))
    runs = [engine, usual, *several]
    for run in runs:
        achieved = messages / run.telegram_seconds / (TELEGRAM_RATE / scale) if run.telegram_seconds else 0.0
        print(
            f"  {run.name:<24} {run.seconds:6.2f} s total, Telegram {run.telegram_seconds:6.2f} s "
            f"({run.telegram_seconds / bound:.2f}× bound, {achieved:.2f} of the allowed rate), "
            f"429s {run.rate_limited}, lost {run.lost}, duplicated {run.duplicated}"
        )
    print(f"  ratio usual/engine time: {runs[1].seconds / runs[0].seconds:.2f}")
    print(
        "  (worker processes: total includes starting Python; one process at a time owns each platform's budget)"
    )


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.5))
