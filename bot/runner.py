"""Running the process: platform adapters, the web server and the outbox worker, until a signal stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import replace

from aiohttp import web

from bot.adapters.console import ConsoleAdapter, ConsoleChat
from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator
from bot.app import App
from bot.core.delivery import PlatformAdapter
from bot.core.outbox import OutboxWorker
from bot.core.supervise import Heartbeat, every, supervise
from bot.web import PortTaken, build_web_app, start_site

log = logging.getLogger(__name__)


def build_adapters(app: App) -> list[PlatformAdapter]:
    """One adapter per configured platform."""
    adapters: list[PlatformAdapter] = []
    if app.settings.telegram_enabled:
        from bot.adapters.telegram import build_telegram_adapter

        adapters.append(build_telegram_adapter(app))
    if app.settings.slack_enabled:
        from bot.adapters.slack import build_slack_adapter

        adapters.append(build_slack_adapter(app))
    return adapters


# The main worker delivers these platforms' rows (failing them when the platform is not configured); console
# rows are each console process's own (see console_delivery), so a console person who is not connected
# finds their messages waiting instead of lost.
SERVED_BY_MAIN_WORKER = ("telegram", "slack")


def build_worker(
    app: App,
    adapters: Iterable[PlatformAdapter],
    *,
    platforms: Collection[str] | None = None,
    chats: Collection[str] | None = None,
    heartbeat: Heartbeat | None = None,
) -> OutboxWorker:
    """An outbox worker for ``adapters`` claiming ``platforms``' rows (and only ``chats``, when given)."""
    from bot.core.delivery import FailureKind
    from handlers.alerts import notify_target_lost
    from handlers.appeals import refresh_live_status
    from storage.models import Delivery

    async def target_lost(row: Delivery, kind: FailureKind) -> None:
        await notify_target_lost(app.sessions, app.settings.default_language, row, kind)

    async def progress(subjects: set[str]) -> None:
        await refresh_live_status(app.sessions, subjects)

    return OutboxWorker(
        app.sessions,
        {a.platform: a for a in adapters},
        on_target_lost=target_lost,
        on_progress=progress,
        pacer=app.pacer,  # one budget per platform with the direct replies
        heartbeat=heartbeat,
        platforms=platforms,
        chats=chats,
    )


@contextlib.asynccontextmanager
async def console_delivery(app: App, chat: ConsoleChat) -> AsyncIterator[None]:
    """Deliver what the outbox holds for ``chat`` to it, as it arrives, while the console runs."""
    adapter = ConsoleAdapter(chat)
    worker = build_worker(app, [adapter], platforms=(adapter.platform,), chats=adapter.chats())
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="console-outbox")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)


async def _start_site(
    app: App, adapters: list[PlatformAdapter], heartbeat: Heartbeat, any_free_port: bool
) -> web.AppRunner:
    """Serve on the configured port; when it is taken, on a free one if ``any_free_port`` (the sandbox)."""
    web_app = build_web_app(app, adapters, heartbeat)
    try:
        return await start_site(web_app, app.settings.http_host, app.settings.http_port)
    except PortTaken:
        if not any_free_port:
            raise
    return await start_site(web_app, app.settings.http_host, 0)


@contextlib.asynccontextmanager
async def serving(
    app: App, adapters: list[PlatformAdapter], any_free_port: bool = False
) -> AsyncIterator[int]:
    """Serve HTTP, start the adapters, the outbox worker and the periodic jobs; yields the bound HTTP port.

    The worker and every periodic job run under :func:`bot.core.supervise.supervise`: an exception is
    logged by kind and the task starts again after a capped backoff, so none of them dies silently.

    Raises:
        PortTaken: the configured port is in use and ``any_free_port`` is off.
    """
    from bot.web import bound_port
    from handlers.letters import close_due_letters
    from handlers.reminders import alert_stuck_urgent, remind_unanswered_cases

    heartbeat = Heartbeat()
    runner = await _start_site(app, adapters, heartbeat, any_free_port)
    stop = asyncio.Event()
    worker = build_worker(app, adapters, platforms=SERVED_BY_MAIN_WORKER, heartbeat=heartbeat)
    settings = app.settings
    tasks = [
        asyncio.create_task(supervise("outbox worker", lambda: worker.run(stop), stop), name="outbox-worker"),
        asyncio.create_task(
            every(
                "letter deadlines",
                60,
                lambda: close_due_letters(app.sessions, settings.default_language),
                stop,
            ),
            name="letter-deadlines",
        ),
        asyncio.create_task(
            every("stuck urgent alert", 60, lambda: alert_stuck_urgent(app.sessions, settings), stop),
            name="stuck-urgent",
        ),
        asyncio.create_task(
            every("unanswered cases", 60, lambda: remind_unanswered_cases(app.sessions, settings), stop),
            name="unanswered-cases",
        ),
    ]
    started: list[PlatformAdapter] = []
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
        yield bound_port(runner)
    finally:
        stop.set()
        for adapter in reversed(started):
            with contextlib.suppress(Exception):
                await adapter.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
        await runner.cleanup()


async def run_platforms(app: App) -> int:
    """Run every configured platform until SIGINT or SIGTERM."""
    adapters = build_adapters(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving(app, adapters) as port:
        log.info("serving %s on %s:%d", ", ".join(a.platform for a in adapters), app.settings.http_host, port)
        await stop.wait()
    return 0


@contextlib.asynccontextmanager
async def sandbox_platforms(app: App) -> AsyncIterator[tuple[TelegramEmulator, SlackEmulator]]:
    """Start both loopback emulators and point the app's settings at them (sandbox mode and the demo)."""
    telegram, slack = TelegramEmulator(), SlackEmulator()
    telegram_url = await telegram.start()
    slack_url = await slack.start()
    try:
        app.settings = replace(
            app.settings,
            telegram_token=telegram.token,
            telegram_api_url=telegram_url,
            slack_bot_token=slack.bot_token,
            slack_signing_secret=slack.signing_secret,
            slack_api_url=slack_url,
        )
        yield telegram, slack
    finally:
        await slack.stop()
        await telegram.stop()


@contextlib.asynccontextmanager
async def sandbox(app: App) -> AsyncIterator[tuple[TelegramEmulator, SlackEmulator]]:
    """The whole bot on both emulators: adapters, web server and outbox worker, ready for played users."""
    async with sandbox_platforms(app) as (telegram, slack):
        async with serving(app, build_adapters(app), any_free_port=True) as port:
            slack.events_url = f"http://127.0.0.1:{port}/slack/events"
            app.settings = replace(app.settings, http_port=port)  # the port it serves on (taken: another)
            log.info("sandbox: Telegram and Slack emulators on loopback, bot on port %d", port)
            yield telegram, slack
