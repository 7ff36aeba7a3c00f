"""Running the process: platform adapters, the web server and the outbox worker, until a signal stops them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.adapters.console import ConsoleAdapter, ConsoleChat
from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator
from bot.app import App
from bot.core.delivery import PlatformAdapter
from bot.core.locks import Locks, PlatformOwnership
from bot.core.notify import Listener
from bot.core.outbox import Gate, OutboxWorker, Wake, WorkerConfig
from bot.core.supervise import Backoff, Heartbeat, every, pause, supervise
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
    gate: Gate | None = None,
    wake: Wake | None = None,
    config: WorkerConfig | None = None,
) -> OutboxWorker:
    """An outbox worker for ``adapters`` claiming ``platforms``' rows (and only ``chats``, when given).

    ``gate`` narrows the platforms to those this process owns now, ``wake`` ends idle waits on NOTIFY.
    """
    from bot.core.delivery import FailureKind
    from bot.core.outbox_api import encode_draft
    from storage.models import Delivery

    router = app.dispatcher.router  # the features declare their delivery hooks on it

    async def target_lost(row: Delivery, kind: FailureKind) -> None:
        for hook in router.target_lost_hooks:
            await hook(app.sessions, app.settings, row, kind)

    async def progress(subjects: set[str]) -> None:
        for hook in router.progress_hooks:
            await hook(app.sessions, subjects)

    async def live_text(subject: str, language: str) -> str | None:
        render = router.live_texts.get(subject.partition(":")[0])
        if render is None:
            return None
        async with app.sessions() as session:
            draft = await render(session, app.settings, subject, language)
        return None if draft is None else encode_draft(language, draft)

    return OutboxWorker(
        app.sessions,
        {a.platform: a for a in adapters},
        on_target_lost=target_lost,
        on_progress=progress,
        live_text=live_text,
        pacer=app.pacer,  # one budget per platform with the direct replies
        heartbeat=heartbeat,
        platforms=platforms,
        chats=chats,
        gate=gate,
        wake=wake,
        config=config,
        crowded=lambda: app.dispatcher.crowded,  # people first: routine rows wait while events queue
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
    app: App, adapters: list[PlatformAdapter], heartbeat: Heartbeat | None, any_free_port: bool
) -> web.AppRunner:
    """Serve on the configured port; when it is taken, on a free one if ``any_free_port`` (the sandbox)."""
    web_app = build_web_app(app, adapters, heartbeat)
    try:
        return await start_site(web_app, app.settings.http_host, app.settings.http_port)
    except PortTaken:
        if not any_free_port:
            raise
    return await start_site(web_app, app.settings.http_host, 0)


@dataclass(frozen=True)
class Roles:
    """What one process does. ``sosbot run`` does both; on PostgreSQL ``web`` and ``worker`` split them.

    Attributes:
        web: serve the platforms' routes (webhooks, Slack HTTP, the dashboard) and receive events
            (Telegram long polling in the one process holding its lock, Slack Socket Mode).
        worker: deliver the outbox and run the periodic jobs (HTTP then serves ``/healthz`` and ``/metrics``
            even without ``web``).
    """

    web: bool = True
    worker: bool = True


EVERYTHING, WEB_ONLY, WORKER_ONLY = Roles(), Roles(worker=False), Roles(web=False)
LISTENING_POLL = 1.0  # seconds: with NOTIFY waking the worker, the poll only finds retries coming due
POLLING_LOCK = "telegram:polling"


@contextlib.asynccontextmanager
async def serving(
    app: App,
    adapters: list[PlatformAdapter],
    any_free_port: bool = False,
    *,
    roles: Roles = EVERYTHING,
    config: WorkerConfig | None = None,
) -> AsyncIterator[int]:
    """Serve HTTP, start the adapters, the outbox worker and the periodic jobs; yields the bound HTTP port.

    The worker and every periodic job run under :func:`bot.core.supervise.supervise`: an exception is
    logged by kind and the task starts again after a capped backoff, so none of them dies silently.
    On PostgreSQL the process may be one of several (see :mod:`bot.core.locks`): its worker delivers the
    platforms whose lock it holds and wakes on ``NOTIFY``, each periodic job runs where its lock is held,
    and Telegram long polling runs where the polling lock is held.

    Args:
        app: the process's shared parts.
        adapters: the configured platforms (a worker-only process sends through them, receives nothing).
        any_free_port: serve on a free port when the configured one is taken (the sandbox).
        roles: web, worker, or both.
        config: the worker's tuning (default: polling every second when notifications wake it).

    Raises:
        PortTaken: the configured port is in use and ``any_free_port`` is off.
    """
    from bot.web import bound_port

    heartbeat = Heartbeat() if roles.worker else None
    locks = Locks(app.settings.database_url)
    runner = await _start_site(app, adapters if roles.web else [], heartbeat, any_free_port)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    if roles.worker:
        assert heartbeat is not None
        tasks += _worker_tasks(app, adapters, locks, heartbeat, stop, config)
    started: list[PlatformAdapter] = []
    try:
        for adapter in adapters if roles.web else []:
            poller = adapter if locks.shared and isinstance(adapter, Polling) and adapter.polls else None
            if poller is not None:
                poller.poll_on_start = False  # it polls in whichever process holds the polling lock
            await adapter.start()
            started.append(adapter)
            if poller is not None:
                poll = functools.partial(_poll_while_owner, poller, locks, stop)
                tasks.append(
                    asyncio.create_task(supervise("telegram polling", poll, stop), name="telegram-polling")
                )
        port = bound_port(runner)
        if app.settings.dashboard_url is None:  # the dashboard's links name the port actually bound
            _set_dashboard_url(app, f"http://{app.settings.http_host}:{port}")
        yield port
    finally:
        stop.set()
        for adapter in reversed(started):
            with contextlib.suppress(Exception):
                await adapter.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
        await locks.close()
        await runner.cleanup()


def _set_dashboard_url(app: App, url: str) -> None:
    settings = replace(app.settings, dashboard_url=url)
    app.settings = settings
    app.dispatcher.settings = settings


def _worker_tasks(
    app: App,
    adapters: list[PlatformAdapter],
    locks: Locks,
    heartbeat: Heartbeat,
    stop: asyncio.Event,
    config: WorkerConfig | None,
) -> list[asyncio.Task[None]]:
    """The outbox worker (with its NOTIFY listener on PostgreSQL) and the periodic jobs, as supervised tasks."""
    settings = app.settings
    tasks: list[asyncio.Task[None]] = []
    listener, gate = None, None
    if locks.shared:
        listener = Listener(settings.database_url, SERVED_BY_MAIN_WORKER)
        gate = PlatformOwnership(locks, SERVED_BY_MAIN_WORKER)
        config = config or WorkerConfig(idle_poll=LISTENING_POLL)
        tasks.append(
            asyncio.create_task(
                supervise("outbox listener", lambda: listener.run(stop), stop, backoff=Backoff(0.5, 5.0)),
                name="outbox-listener",
            )
        )
    worker = build_worker(
        app,
        adapters,
        platforms=SERVED_BY_MAIN_WORKER,
        heartbeat=heartbeat,
        gate=gate,
        wake=listener,
        config=config,
    )
    tasks.append(
        asyncio.create_task(supervise("outbox worker", lambda: worker.run(stop), stop), name="outbox-worker")
    )

    def job_lock(name: str) -> Callable[[], Awaitable[bool]] | None:
        return (lambda: locks.acquire(f"job:{name}")) if locks.shared else None

    for job in app.dispatcher.router.jobs.values():  # declared by each feature on its router
        run = functools.partial(job.run, app.sessions, settings)
        tasks.append(
            asyncio.create_task(
                every(job.name, job.interval, run, stop, lock=job_lock(job.name)),
                name=job.name.replace(" ", "-"),
            )
        )
    return tasks


@runtime_checkable
class Polling(Protocol):
    """An adapter that may receive by long polling, which one process at a time may do (Telegram)."""

    poll_on_start: bool  # off: :meth:`start` does not poll, the runner calls :meth:`start_polling`

    @property
    def polls(self) -> bool:
        """Whether it is configured to poll."""
        ...

    async def start_polling(self) -> None:
        """Begin polling."""
        ...

    async def stop_polling(self) -> None:
        """Stop polling."""
        ...


async def _poll_while_owner(adapter: Polling, locks: Locks, stop: asyncio.Event, look: float = 1.0) -> None:
    """Poll while this process holds the polling lock; a peer takes over when this one dies."""
    polling = False
    try:
        while not stop.is_set():
            await locks.check()
            if await locks.acquire(POLLING_LOCK):
                if not polling:
                    await adapter.start_polling()
                    polling = True
                    log.info("telegram: this process polls for updates")
            elif polling:
                await adapter.stop_polling()
                polling = False
                log.warning("telegram: lost the polling lock; another process may poll")
            await pause(stop, look)
    finally:
        if polling:
            with contextlib.suppress(Exception):
                await adapter.stop_polling()
            await locks.release(POLLING_LOCK)


async def run_platforms(app: App, roles: Roles = EVERYTHING, config: WorkerConfig | None = None) -> int:
    """Run every configured platform (as ``roles`` says) until SIGINT or SIGTERM."""
    adapters = build_adapters(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving(app, adapters, roles=roles, config=config) as port:
        role = {EVERYTHING: "web and worker", WEB_ONLY: "web", WORKER_ONLY: "worker"}[roles]
        platforms = ", ".join(a.platform for a in adapters)
        log.info("serving %s (%s) on %s:%d", platforms, role, app.settings.http_host, port)
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
            emulated=True,
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
