"""5,000 members press "Sign for <organisation>" within seconds, through the Telegram webhook and Slack's HTTP
endpoint (the emulators play the users), on SQLite and PostgreSQL.

Run: ``.venv/bin/python -m bench.signons [members]``. Prints sign-ons per second, p50/p99 latency from the
HTTP request to the confirmation reaching the platform, signatures stored (must equal the organisations: two
members of each organisation press, one on each platform), and the same path with a no-op handler as the
ceiling (target ratio ≥ 0.5).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from bench._common import bot, store
from bot.adapters.emulators.slack import SlackEmulator, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.adapters.slack import build_slack_adapter
from bot.adapters.telegram import build_telegram_adapter
from bot.app import App
from bot.core.context import Context
from bot.core.events import Event
from bot.core.router import Route
from bot.web import bound_port, build_web_app, start_site
from storage.models import Identity, Letter, Organisation, Person, Role, Signature

CONCURRENCY = 100


@dataclass
class Result:
    seconds: float
    latencies: list[float]
    signatures: int


async def seed(app: App, members: int) -> None:
    """Half the members on Telegram, half on Slack; each organisation has one of each."""
    organisations = members // 2
    async with app.sessions() as session, session.begin():
        session.add(Letter(reference="CL-2026-001", addressee="Attorney General", status="published"))
        for i in range(organisations):
            org = Organisation(name=f"Org {i}", name_key=f"org {i}", country="Mexico", verified=True)
            session.add(org)
            await session.flush()
            for platform, workspace, user in (
                ("telegram", "", str(1_000_000 + i)),
                ("slack", "T0SANDBOX", f"U{i:07d}"),
            ):
                person = Person(display_name=f"Member {i}", role=Role.MEMBER, organisation_id=org.id,
                                membership_confirmed=True, language="en")  # fmt: skip
                session.add(person)
                await session.flush()
                chat = user if platform == "telegram" else f"D{user}"
                session.add(Identity(person_id=person.id, platform=platform, workspace=workspace, user_id=user,
                                     private_chat_id=chat))  # fmt: skip


async def press_all(
    telegram: TelegramEmulator, slack: SlackEmulator, members: int
) -> tuple[float, list[float]]:
    """Every member presses the confirmation button; latency runs until the bot's edit reaches the platform."""
    organisations = members // 2
    presses: list[tuple[str, str, float]] = []
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def press_telegram(i: int) -> None:
        user = User(1_000_000 + i, f"Member {i}", "en")
        stored = telegram.bot_message(user.id, "✍️ CL-2026-001")  # the letter's copy in the member's chat
        async with semaphore:
            presses.append(("telegram", str(user.id), time.perf_counter()))
            await telegram.press(user, stored, "sign-ok:1:org")

    async def press_slack(i: int) -> None:
        user = slack.add_user(SlackUser(f"U{i:07d}", f"Member {i}", "en-US"))
        channel = slack.dm_channel(user)
        button = {
            "type": "button",
            "action_id": "a",
            "text": {"type": "plain_text", "text": "Sign"},
            "value": "sign-ok:1:org",
        }
        message = slack.bot_message(channel, "✍️ CL-2026-001", [{"type": "actions", "elements": [button]}])
        async with semaphore:
            presses.append(("slack", channel, time.perf_counter()))
            await slack.press(user, message, "Sign")

    started = time.perf_counter()
    await asyncio.gather(
        *(press_telegram(i) for i in range(organisations)), *(press_slack(i) for i in range(organisations))
    )
    expected = members

    def confirmations() -> int:
        return len(telegram.calls_to("editMessageText")) + len(slack.calls_to("chat.update"))

    await telegram.wait_for(lambda: confirmations() >= expected, timeout=600)
    seconds = time.perf_counter() - started
    done: dict[tuple[str, str], float] = {}
    for call in telegram.calls_to("editMessageText"):
        done.setdefault(("telegram", str(call.params["chat_id"])), call.at)
    for call in slack.calls_to("chat.update"):
        done.setdefault(("slack", str(call.params["channel"])), call.at)
    # Both emulators stamp with time.monotonic(); perf_counter shares its clock on Linux.
    latencies = [done[(platform, chat)] - at for platform, chat, at in presses if (platform, chat) in done]
    return seconds, latencies


async def run(kind: str, members: int, no_op: bool) -> Result:
    telegram, slack = TelegramEmulator(), SlackEmulator()
    tg_url, slack_url = await telegram.start(), await slack.start()
    async with store(kind) as url:
        app = bot(url, telegram_token=telegram.token, telegram_api_url=tg_url, telegram_mode="webhook",
                  telegram_webhook_secret="s", slack_bot_token=slack.bot_token,
                  slack_signing_secret=slack.signing_secret, slack_api_url=slack_url)  # fmt: skip
        await seed(app, members)
        if no_op:

            async def confirm_only(ctx: Context, event: Event) -> None:
                ctx.edit(ctx._("Signing has ended."))  # same path and answer size, no signing work

            app.dispatcher.router.actions["sign-ok"] = Route(confirm_only)
        adapters = [build_telegram_adapter(app, timeout=60.0), build_slack_adapter(app, timeout=60.0)]
        site = await start_site(build_web_app(app, adapters), "127.0.0.1", 0)
        port = bound_port(site)
        adapters[0].webhook_url = f"http://127.0.0.1:{port}/telegram/webhook"  # type: ignore[attr-defined]
        slack.events_url = f"http://127.0.0.1:{port}/slack/events"
        for adapter in adapters:
            await adapter.start()
        seconds, latencies = await press_all(telegram, slack, members)
        async with app.sessions() as session:
            signatures = int((await session.execute(select(func.count(Signature.id)))).scalar_one())
        for adapter in adapters:
            await adapter.stop()
        await site.cleanup()
        await app.close()
    await telegram.stop()
    await slack.stop()
    return Result(seconds, latencies, signatures)


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values[0] if values else 0.0)
    )


async def main(members: int) -> None:
    print(f"sign-ons: {members:,} members ({members // 2:,} organisations, one member on each platform), "
          f"{CONCURRENCY} presses in flight")  # fmt: skip
    for kind in ("sqlite", "postgresql"):
        real = await run(kind, members, no_op=False)
        ceiling = await run(kind, members, no_op=True)
        rate, ceiling_rate = members / real.seconds, members / ceiling.seconds
        print(
            f"  {kind:<10} {rate:7.0f} sign-ons/s, p50 {percentile(real.latencies, 50) * 1000:6.0f} ms, "
            f"p99 {percentile(real.latencies, 99) * 1000:6.0f} ms, signatures {real.signatures} "
            f"(organisations {members // 2}); no-op ceiling {ceiling_rate:7.0f}/s, ratio {rate / ceiling_rate:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
