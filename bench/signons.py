"""A collective letter published to 3,000 chats and delivered, then 5,000 members press "Sign for
<organisation>" within seconds, through the Telegram webhook and Slack's HTTP endpoint, on SQLite and PostgreSQL.

Run: ``.venv/bin/python -m bench.signons [members] [scale]``. The emulators run in their own process (the other
core), with the platforms' published limits on and their windows scaled by ``scale`` (default 0.05), and play
the members. Each run first publishes the letter to 2,700 Telegram groups and 300 Slack channels through the
outbox worker (real copies, so every sign-on edits the count on each of them), then the presses. Prints
sign-ons per second, p50/p99 from the press to the confirmation reaching the platform, the count edits of the
copies that reached the platforms, and the no-op ceiling (the same path with a handler that only answers);
then, Telegram only, the same no-op path against python-telegram-bot's own ``Application`` with a no-op
handler behind the same webhook route (the peer figure).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bench._common import ControlledProcess, store
from bench._presses import TELEGRAM_MEMBERS_FROM
from bot.adapters.slack import build_slack_adapter
from bot.adapters.telegram import build_telegram_adapter
from bot.app import App, build_app
from bot.config import LANGUAGES, Settings
from bot.core.collector import tune_collector
from bot.core.context import Context
from bot.core.events import ChatKind, Event
from bot.core.i18n import translator
from bot.core.outbox import WorkerConfig
from bot.core.outbox_api import Message, Outbox
from bot.core.router import Route
from bot.runner import build_worker
from bot.web import bound_port, build_web_app, start_site
from handlers.letter_render import render, sign_button
from storage.models import (
    Channel,
    ChannelKind,
    Delivery,
    Identity,
    Letter,
    LetterText,
    Organisation,
    Person,
    Role,
    Signature,
)
from storage.outbox import Target

CONCURRENCY = 100
TELEGRAM_GROUPS, SLACK_CHANNELS = 2_700, 300
SUBJECT = "letter:1"


@dataclass
class Figures:
    seconds: float
    latencies: list[float]
    confirmed: int
    expected: int
    copy_edits: int = 0
    published_seconds: float = 0.0
    signatures: int = 0
    final_counts: int = 0  # copies whose newest edit shows the letter's final count


class Emulators(ControlledProcess):
    """The emulators' process (``bench._emulators``): its URLs, the presses it plays and the counts it keeps."""

    def __init__(self, scale: float) -> None:
        super().__init__("bench._emulators", str(scale))
        self.scale = scale


def settings(url: str, urls: dict[str, str]) -> Settings:
    return replace(
        Settings(database_url=url),
        telegram_token=urls["telegram_token"], telegram_api_url=urls["telegram"], telegram_mode="webhook",
        telegram_webhook_secret="s", slack_bot_token=urls["slack_token"],
        slack_signing_secret=urls["slack_signing_secret"], slack_api_url=urls["slack"],
    )  # fmt: skip


async def seed_members(app: App, members: int) -> None:
    """Two members per organisation, one on each platform (the first half of them only on Telegram runs)."""
    async with app.sessions() as session, session.begin():
        for i in range(members // 2 if members > 1 else 1):
            org = Organisation(name=f"Org {i}", name_key=f"org {i}", country="Mexico", verified=True)
            session.add(org)
            await session.flush()
            for platform, workspace, user in (
                ("telegram", "", str(TELEGRAM_MEMBERS_FROM + i)),
                ("slack", "T0SANDBOX", f"U{i:07d}"),
            ):
                person = Person(display_name=f"Member {i}", role=Role.MEMBER, organisation_id=org.id,
                                membership_confirmed=True, language="en")  # fmt: skip
                session.add(person)
                await session.flush()
                chat = user if platform == "telegram" else f"D{user}"
                session.add(Identity(person_id=person.id, platform=platform, workspace=workspace, user_id=user,
                                     private_chat_id=chat))  # fmt: skip


async def publish(app: App) -> int:
    """The letter, its member channels (five languages, one of them Arabic) and one copy queued for each."""
    targets = [
        Target("telegram", str(-1_000_000 - i), LANGUAGES[i % len(LANGUAGES)], kind=ChatKind.GROUP)
        for i in range(TELEGRAM_GROUPS)
    ] + [
        Target("slack", f"C{i:06d}", LANGUAGES[i % len(LANGUAGES)], "T0SANDBOX", ChatKind.GROUP)
        for i in range(SLACK_CHANNELS)
    ]
    async with app.sessions() as session, session.begin():
        letter = Letter(reference="CL-2026-001", addressee="Attorney General", status="published")
        session.add(letter)
        await session.flush()
        for language in LANGUAGES:
            session.add(LetterText(letter_id=letter.id, language=language, body=f"Letter body ({language})."))
        for target in targets:
            session.add(Channel(platform=target.platform, workspace=target.workspace, chat_id=target.chat_id,
                                title=target.chat_id, kind=ChannelKind.MEMBER, language=target.language))  # fmt: skip
        copies = [
            Message(
                t,
                render(letter, f"Letter body ({t.language}).", t.language, 0),
                sign_button(letter, t.language),
            )
            for t in targets
        ]
        return await Outbox(session).send_many(SUBJECT, copies)


async def undelivered(app: App, operation: str) -> int:
    async with app.sessions() as session:
        query = select(func.count(Delivery.id)).where(
            Delivery.subject == SUBJECT,
            Delivery.operation == operation,
            Delivery.status.in_(("pending", "leased")),
        )
        return int((await session.execute(query)).scalar_one())


async def wait_until(check: Any, timeout: float) -> None:
    for _ in range(int(timeout / 0.2)):
        if await check():
            return
        await asyncio.sleep(0.2)


async def bot_run(
    emulators: Emulators, kind: str, members: int, *, no_op: bool, telegram_only: bool
) -> Figures:
    """The bot (webhook + Slack HTTP + outbox worker) on a fresh store, against the emulators' process."""
    await emulators.call("POST", "/reset")
    async with store(kind) as url:
        app = build_app(settings(url, emulators.urls), time_scale=emulators.scale)
        tune_collector()  # as ``sosbot run`` does
        await seed_members(app, members)
        if no_op:

            async def confirm_only(ctx: Context, event: Event) -> None:
                ctx.edit(ctx._("Signing has ended."))  # same path and answer size, no signing work

            app.dispatcher.router.actions["sign-ok"] = Route(confirm_only)
        adapters: list[Any] = [
            build_telegram_adapter(app, timeout=60.0),
            build_slack_adapter(app, timeout=60.0),
        ]
        site = await start_site(build_web_app(app, adapters), "127.0.0.1", 0)
        port = bound_port(site)
        adapters[0].webhook_url = f"http://127.0.0.1:{port}/telegram/webhook"  # type: ignore[attr-defined]
        for adapter in adapters:
            await adapter.start()
        config = WorkerConfig(time_scale=emulators.scale, batch=200, max_in_flight=400, idle_poll=0.05)
        worker = build_worker(app, adapters, config=config)  # as sosbot run builds it: live counts rendered
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        published = 0.0
        if not no_op:
            started = time.perf_counter()
            await publish(app)
            await wait_until(lambda: _none(app, "send"), 600)
            published = time.perf_counter() - started
        order = {"members": members, "concurrency": CONCURRENCY, "telegram_only": telegram_only,
                 "slack_events_url": f"http://127.0.0.1:{port}/slack/events"}  # fmt: skip
        result = await emulators.call("POST", "/signons", order)
        if not no_op:  # the last window's count edits land within the window and the pacing of 3,000 edits
            await wait_until(lambda: _none(app, "edit"), 300)
        edits = await emulators.call("GET", "/edits")
        signatures = await _signatures(app)
        stop.set()
        await running
        for adapter in adapters:
            await adapter.stop()
        await site.cleanup()
        await app.close()
    final = _final_count_lines(signatures)
    return Figures(
        result["seconds"],
        result["latencies"],
        result["confirmed"],
        result["expected"],
        edits["copy_edits"],
        published,
        signatures,
        sum(line in final for line in edits["copy_counts"]),
    )


async def _signatures(app: App) -> int:
    async with app.sessions() as session:
        return int((await session.execute(select(func.count(Signature.id)))).scalar_one())


def _final_count_lines(signatures: int) -> set[str]:
    """The count line a copy shows once every signature is counted, in each language."""
    return {
        translator(language).ngettext(
            "{n} organisation has signed.", "{n} organisations have signed.", signatures
        )
        for language in LANGUAGES
    }


async def _none(app: App, operation: str) -> bool:
    return await undelivered(app, operation) == 0


async def peer_run(emulators: Emulators, members: int) -> Figures:
    """python-telegram-bot's own Application, a no-op handler (it answers like ours), the same webhook route."""
    await emulators.call("POST", "/reset")
    urls = emulators.urls

    async def no_op(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("Signing has ended.")

    application = (
        Application.builder().token(urls["telegram_token"]).base_url(urls["telegram"])
        .updater(None).concurrent_updates(True).connection_pool_size(256).build()
    )  # fmt: skip
    application.add_handler(CallbackQueryHandler(no_op))

    async def webhook(request: web.Request) -> web.Response:
        await application.update_queue.put(Update.de_json(await request.json(), application.bot))
        return web.Response()

    routes = web.Application()
    routes.add_routes([web.post("/telegram/webhook", webhook)])
    runner = web.AppRunner(routes, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with application:
        await application.start()
        await application.bot.set_webhook(f"http://127.0.0.1:{port}/telegram/webhook")
        order = {"members": members, "concurrency": CONCURRENCY, "telegram_only": True}
        result = await emulators.call("POST", "/signons", order)
        await application.stop()
    await runner.cleanup()
    return Figures(result["seconds"], result["latencies"], result["confirmed"], result["expected"])


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


def line(name: str, figures: Figures) -> str:
    rate = figures.confirmed / figures.seconds if figures.seconds else 0.0
    return (
        f"  {name:<34} {rate:6.0f}/s, p50 {percentile(figures.latencies, 50) * 1000:6.0f} ms, "
        f"p99 {percentile(figures.latencies, 99) * 1000:6.0f} ms, confirmed {figures.confirmed}/{figures.expected}"
    )


async def main(members: int, scale: float) -> None:
    copies = TELEGRAM_GROUPS + SLACK_CHANNELS
    print(f"sign-ons: a letter delivered to {copies:,} chats ({TELEGRAM_GROUPS:,} Telegram groups, {SLACK_CHANNELS} "
          f"Slack channels), then {members:,} presses ({members // 2:,} organisations, one member on each "
          f"platform), {CONCURRENCY} in flight; emulators in their own process, limits on, windows ×{scale}")  # fmt: skip
    async with Emulators(scale) as emulators:
        for kind in ("sqlite", "postgresql"):
            real = await bot_run(emulators, kind, members, no_op=False, telegram_only=False)
            ceiling = await bot_run(emulators, kind, members, no_op=True, telegram_only=False)
            print(f" {kind}: letter published and delivered in {real.published_seconds:.1f} s")
            print(line("sign-ons", real) + f", count edits on the copies {real.copy_edits:,}")
            print(
                f"  copies showing the final count ({real.signatures:,} signatures): {real.final_counts:,}/{copies:,}"
            )
            print(line("no-op ceiling", ceiling))
            ratio = (real.confirmed / real.seconds) / (ceiling.confirmed / ceiling.seconds)
            print(f"  sign-ons / no-op ceiling: {ratio:.2f}")
        ours = await bot_run(emulators, "sqlite", members, no_op=True, telegram_only=True)
        peer = await peer_run(emulators, members)
        print(" Telegram only, no-op handler, same webhook route:")
        print(line("this bot (SQLite)", ours))
        print(line("python-telegram-bot Application", peer))


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 5000, float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
        )
    )
