"""Both emulators in their own process (the other core), as the platforms would be: ``python -m bench._emulators``.

Prints one JSON line with the two base URLs and a stats URL, then serves until its stdin closes.
``GET /stats`` answers, per platform: messages delivered per chat and 429s answered. ``POST /signons`` plays
members pressing "Sign for <organisation>" (see :mod:`bench._presses`); ``GET /edits`` counts the edits of
the letter's copies that reached the platforms.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from aiohttp import web

from bench._presses import copy_counts, copy_edits, sign_ons
from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator


async def main(scale: float, limits: bool = True) -> None:
    telegram = TelegramEmulator(rate_limits=limits, time_scale=scale)
    slack = SlackEmulator(rate_limits=limits, time_scale=scale)
    tg_url, slack_url = await telegram.start(), await slack.start()

    async def stats(_request: web.Request) -> web.Response:
        tg = Counter(
            {str(chat): len([m for m in msgs if m.from_bot]) for chat, msgs in telegram.messages.items()}
        )
        sk = Counter(
            {ch: len([m for m in msgs if m.user == slack.bot_user_id]) for ch, msgs in slack.messages.items()}
        )
        times = [c.at for c in telegram.calls_to("sendMessage")]
        return web.json_response(
            {
                "delivered": {**tg, **sk},
                "rate_limited": telegram.rate_limit_hits + slack.rate_limit_hits,
                "telegram_seconds": (max(times) - min(times)) if times else 0.0,
            }
        )

    async def reset(_request: web.Request) -> web.Response:
        telegram.messages.clear()
        telegram.calls.clear()
        slack.messages.clear()
        slack.calls.clear()
        telegram.rate_limit_hits = slack.rate_limit_hits = 0
        return web.json_response({"ok": True})

    async def signons(request: web.Request) -> web.Response:
        return web.json_response(await sign_ons(telegram, slack, await request.json()))

    async def edits(_request: web.Request) -> web.Response:
        return web.json_response(
            {"copy_edits": copy_edits(telegram, slack), "copy_counts": copy_counts(telegram, slack)}
        )

    control = web.Application()
    control.add_routes(
        [
            web.get("/stats", stats),
            web.post("/reset", reset),
            web.post("/signons", signons),
            web.get("/edits", edits),
        ]
    )
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"telegram": tg_url, "slack": slack_url, "control": f"http://127.0.0.1:{port}",
                      "telegram_token": telegram.token, "slack_token": slack.bot_token,
                      "slack_signing_secret": slack.signing_secret}), flush=True)  # fmt: skip
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()
    await telegram.stop()
    await slack.stop()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]), len(sys.argv) < 3 or sys.argv[2] != "nolimits"))
