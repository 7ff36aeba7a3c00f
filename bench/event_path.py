"""The event path's ceiling: button presses through Telegram's webhook and Slack's HTTP endpoint, answered by a
no-op handler (one edit), with both emulators (which play the people) in their own process.

Run: ``.venv/bin/python -m bench.event_path [presses]`` (default 4,000). Prints, on SQLite and PostgreSQL,
presses per second until every confirming edit reached its platform (half Telegram, half Slack; then Telegram
only), p50/p99 from the press to the edit, and the peer on the same machine in the same run:
python-telegram-bot's own ``Application`` with a no-op handler (answer the query, edit the message) behind the
same webhook route. The bot paces its replies per chat with the platforms' windows shrunk ×0.01, and the
platform-wide window is off (pacing is measured by ``bench.broadcast``; at Telegram's real 30 edits/s the
Telegram half would take ``presses / 60`` s whatever the event path does). The target for the mixed figure is ≥ 500/s on the 2-core machine.

``python -m bench.event_path --players`` is the emulators' process (started by the benchmark itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes
from telegram.request import HTTPXRequest

from bench._common import ControlledProcess, store
from bot.adapters.emulators.slack import SlackEmulator, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.adapters.slack import build_slack_adapter
from bot.adapters.telegram import build_telegram_adapter
from bot.app import App, build_app
from bot.config import Settings
from bot.core.collector import tune_collector
from bot.core.context import Context
from bot.core.events import Event
from bot.core.router import Route
from bot.web import bound_port, build_web_app, start_site
from storage.repositories import Store

CONCURRENCY = 100  # presses in flight, as many people pressing at once
ACTION = "bench-noop"
PACING_SCALE = 0.01
TELEGRAM_BASE, SLACK_TEAM = 1_000_000, "T0SANDBOX"
SECRET = "s"


@dataclass
class Figure:
    name: str
    presses: int
    seconds: float
    latencies: list[float]
    answered: int
    cpu: float  # seconds of CPU the bot's process used (every thread), over the run
    players_cpu: float  # the same for the emulators' process

    def line(self) -> str:
        rate = self.presses / self.seconds if self.seconds else 0.0
        p50, p99 = percentile(self.latencies, 50), percentile(self.latencies, 99)
        return (
            f"  {self.name:<44} {rate:6.0f} presses/s, p50 {p50 * 1000:6.0f} ms, p99 {p99 * 1000:6.0f} ms, "
            f"CPU/press: bot {self.cpu / self.presses * 1000:4.2f} ms, emulators "
            f"{self.players_cpu / self.presses * 1000:4.2f} ms; confirmed {len(self.latencies)}/{self.presses}, "
            f"queries answered {self.answered}"
        )


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


# The emulators' process ------------------------------------------------------------------------------


async def players() -> None:
    """Serve both emulators and a control endpoint that plays a burst of presses and times the confirmations."""
    telegram, slack = TelegramEmulator(), SlackEmulator()
    tg_url, slack_url = await telegram.start(), await slack.start()

    async def events_url(request: web.Request) -> web.Response:
        slack.events_url = (await request.json())["url"]
        return web.json_response({"ok": True})

    async def press(request: web.Request) -> web.Response:
        spec = await request.json()
        telegram.calls.clear()
        slack.calls.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        presses = await _press_all(telegram, slack, int(spec["telegram"]), int(spec["slack"]))
        expected = int(spec["telegram"]) + int(spec["slack"])

        confirmed, seen = 0, [0, 0]
        deadline = started + 600
        while (
            confirmed < expected and time.perf_counter() < deadline
        ):  # counted as calls arrive: a scan of every call each time would be O(n²)
            await asyncio.sleep(0.005)
            for index, (calls, method) in enumerate(
                ((telegram.calls, "editMessageText"), (slack.calls, "chat.update"))
            ):
                confirmed += sum(1 for call in calls[seen[index] :] if call.method == method)
                seen[index] = len(calls)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        done: dict[str, float] = {}
        for call in telegram.calls_to("editMessageText"):
            done.setdefault(str(call.params["chat_id"]), call.at)
        for call in slack.calls_to("chat.update"):
            done.setdefault(str(call.params["channel"]), call.at)
        latencies = [done[chat] - at for chat, at in presses if chat in done]
        answered = len(telegram.calls_to("answerCallbackQuery"))
        return web.json_response(
            {"seconds": seconds, "latencies": latencies, "answered": answered, "cpu": cpu}
        )

    control = web.Application()
    control.add_routes([web.post("/events_url", events_url), web.post("/press", press)])
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"telegram": tg_url, "slack": slack_url, "control": f"http://127.0.0.1:{port}",
                      "telegram_token": telegram.token, "slack_token": slack.bot_token,
                      "slack_secret": slack.signing_secret}), flush=True)  # fmt: skip
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()
    await telegram.stop()
    await slack.stop()


async def _press_all(
    telegram: TelegramEmulator, slack: SlackEmulator, on_telegram: int, on_slack: int
) -> list[tuple[str, float]]:
    """Each person presses the button on the bot's message in their private chat, CONCURRENCY at a time."""
    presses: list[tuple[str, float]] = []
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def press_telegram(i: int) -> None:
        user = User(TELEGRAM_BASE + i, f"Member {i}", "en")
        stored = telegram.bot_message(user.id, "✍️ CL-001")
        async with semaphore:
            presses.append((str(user.id), time.perf_counter()))
            await telegram.press(user, stored, f"{ACTION}:1")

    async def press_slack(i: int) -> None:
        user = slack.add_user(SlackUser(f"U{i:07d}", f"Member {i}", "en-US"))
        channel = slack.dm_channel(user)
        button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Sign"},
                  "value": f"{ACTION}:1"}  # fmt: skip
        message = slack.bot_message(channel, "✍️ CL-001", [{"type": "actions", "elements": [button]}])
        async with semaphore:
            presses.append((channel, time.perf_counter()))
            await slack.press(user, message, "Sign")

    await asyncio.gather(
        *(press_telegram(i) for i in range(on_telegram)), *(press_slack(i) for i in range(on_slack))
    )
    return presses


# The bot's process -----------------------------------------------------------------------------------


class Players(ControlledProcess):
    """The emulators' process, seen from the bot's."""

    def __init__(self) -> None:
        super().__init__("bench.event_path", "--players")

    async def press(self, name: str, on_telegram: int, on_slack: int) -> Figure:
        spec = {"telegram": on_telegram, "slack": on_slack}
        cpu = time.process_time()
        async with self.http.post(f"{self.urls['control']}/press", json=spec) as response:
            result: dict[str, Any] = await response.json()
        cpu = time.process_time() - cpu
        presses, latencies = on_telegram + on_slack, result["latencies"]
        return Figure(name, presses, result["seconds"], latencies, result["answered"], cpu, result["cpu"])

    async def events_url(self, url: str) -> None:
        await self.http.post(f"{self.urls['control']}/events_url", json={"url": url})


async def seed(app: App, on_telegram: int, on_slack: int) -> None:
    """Everyone who presses is known to the bot already (the common case)."""
    people = [("telegram", "", str(TELEGRAM_BASE + i), str(TELEGRAM_BASE + i)) for i in range(on_telegram)]
    people += [("slack", SLACK_TEAM, f"U{i:07d}", f"DU{i:07d}") for i in range(on_slack)]
    for start in range(0, len(people), 500):
        async with app.sessions() as session, session.begin():
            persons = Store(session).persons
            for platform, workspace, user_id, chat in people[start : start + 500]:
                await persons.get_or_create(
                    platform, workspace, user_id, "Member", "en", private_chat_id=chat
                )


def node_settings(urls: dict[str, str], database_url: str) -> Settings:
    """The bot's settings against the players' emulators, webhooks on."""
    return replace(Settings(database_url=database_url), telegram_token=urls["telegram_token"],
                   telegram_api_url=urls["telegram"], telegram_mode="webhook",
                   telegram_webhook_secret=SECRET, slack_bot_token=urls["slack_token"],
                   slack_signing_secret=urls["slack_secret"], slack_api_url=urls["slack"])  # fmt: skip


@contextlib.asynccontextmanager
async def serving(urls: dict[str, str], database_url: str, port: int) -> AsyncIterator[tuple[App, int]]:
    """One bot process's web side with the no-op route, on ``port`` (0: any free port). Several processes may
    serve the same port: the kernel spreads connections over them (``SO_REUSEPORT``), as a reverse proxy would."""
    app = build_app(node_settings(urls, database_url), time_scale=PACING_SCALE)
    tune_collector()  # as ``sosbot run`` does
    # The players enforce no limit: Telegram's platform-wide window (which counts a message until its
    # answer is back, so at ×0.01 a busy loop's round trip would bind) is off; per-chat spacing stays.
    app.pacer.limits["telegram"] = replace(app.pacer.limits["telegram"], overall=0.0, overall_count=0)

    async def confirm_only(ctx: Context, _event: Event) -> None:
        ctx.edit(ctx._("Signing has ended."))  # a real answer's size, no work

    app.dispatcher.router.actions[ACTION] = Route(confirm_only)
    adapters = [build_telegram_adapter(app, timeout=60.0), build_slack_adapter(app, timeout=60.0)]
    runner = web.AppRunner(build_web_app(app, adapters), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
    port = bound_port(runner)
    adapters[0].webhook_url = f"http://127.0.0.1:{port}/telegram/webhook"  # type: ignore[attr-defined]
    for adapter in adapters:
        await adapter.start()
    try:
        yield app, port
    finally:
        for adapter in adapters:
            await adapter.stop()
        await runner.cleanup()
        await app.close()


async def node(urls: dict[str, str], database_url: str, port: int) -> None:
    """A further bot process (``--node``): serves ``port`` beside the benchmark's own until stdin closes."""
    async with serving(urls, database_url, port):
        print(json.dumps({"ready": True}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ours(players: Players, kind: str, mix: str, presses: int, processes: int = 1) -> Figure:
    """The bot on a fresh ``kind`` store: half the presses on each platform (``mixed``), or all on Telegram;
    with ``processes`` > 1, that many web processes share the port (PostgreSQL)."""
    urls = players.urls
    on_telegram = presses // 2 if mix == "mixed" else presses
    on_slack = presses - on_telegram
    label = "telegram + slack" if on_slack else "telegram only"
    if processes > 1:
        label += f", {processes} processes"
    async with store(kind) as url, contextlib.AsyncExitStack() as stack:
        app, port = await stack.enter_async_context(serving(urls, url, 0))
        print(f"    seeding {presses:,} people on {kind}…", file=sys.stderr, flush=True)
        await seed(app, on_telegram, on_slack)
        others = [
            await stack.enter_async_context(
                ControlledProcess("bench.event_path", "--node", json.dumps(urls), url, str(port))
            )
            for _ in range(processes - 1)
        ]
        await players.events_url(f"http://127.0.0.1:{port}/slack/events")
        print("    pressing…", file=sys.stderr, flush=True)
        others_cpu = sum(cpu_seconds(other.process.pid) for other in others)
        figure = await players.press(f"{kind}, {label}", on_telegram, on_slack)
        figure.cpu += sum(cpu_seconds(other.process.pid) for other in others) - others_cpu
    return figure


async def peer(players: Players, presses: int) -> Figure:
    """python-telegram-bot's own Application, no store: answer the query and edit, behind the same route."""
    urls = players.urls
    request = HTTPXRequest(connection_pool_size=128, read_timeout=60, pool_timeout=60)
    application = (
        Application.builder().token(urls["telegram_token"]).base_url(urls["telegram"])
        .request(request).updater(None).build()
    )  # fmt: skip

    async def no_op(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("Signing has ended.")

    application.add_handler(CallbackQueryHandler(no_op))

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), SECRET):
            return web.Response(status=401)
        await application.process_update(Update.de_json(await request.json(), application.bot))
        return web.Response(status=200)

    web_app = web.Application()
    web_app.add_routes([web.post("/telegram/webhook", webhook)])
    site = await start_site(web_app, "127.0.0.1", 0)
    await application.initialize()
    await application.start()
    await application.bot.set_webhook(
        f"http://127.0.0.1:{bound_port(site)}/telegram/webhook", secret_token=SECRET
    )
    figure = await players.press("python-telegram-bot Application, telegram only", presses, 0)
    await application.stop()
    await application.shutdown()
    await site.cleanup()
    return figure


async def main(presses: int, runs: list[str]) -> None:
    print(f"event path: {presses:,} presses of a button answered by a no-op handler (one edit), "
          f"{CONCURRENCY} in flight, emulators in their own process")  # fmt: skip
    async with Players() as players:
        for kind in ("sqlite", "postgresql"):
            for mix in ("mixed", "telegram"):
                if kind in runs or mix in runs or f"{kind}-{mix}" in runs:
                    print((await ours(players, kind, mix, presses)).line(), flush=True)
        if "postgresql" in runs or "processes" in runs:  # web processes behind one port, as behind a proxy
            print((await ours(players, "postgresql", "mixed", presses, processes=2)).line(), flush=True)
        if "peer" in runs:
            print((await peer(players, presses)).line(), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--players"]:
        asyncio.run(players())
    elif sys.argv[1:2] == ["--node"]:
        asyncio.run(node(json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
    else:
        count = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 4000
        asyncio.run(
            main(count, [a for a in sys.argv[1:] if not a.isdigit()] or ["sqlite", "postgresql", "peer"])
        )
