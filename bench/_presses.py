"""Members pressing "Sign for <organisation>", played inside the emulators' process (as the platforms would).

Each member's private chat holds the bot's confirmation message; the member presses its button, the platform
delivers the press to the bot (Telegram's webhook, Slack's HTTP endpoint), and the press counts as confirmed
when the bot edits that message. Times are ``time.monotonic()``, the clock the emulators stamp calls with.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.adapters.emulators.slack import SlackEmulator, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User

TELEGRAM_MEMBERS_FROM = 1_000_000  # members' Telegram user ids (their private chats have the same id)
BUTTON = {
    "type": "button",
    "action_id": "a",
    "text": {"type": "plain_text", "text": "Sign"},
    "value": "sign-ok:1:org",
}


def telegram_member(i: int) -> User:
    return User(TELEGRAM_MEMBERS_FROM + i, f"Member {i}", "en")


def slack_member(i: int) -> SlackUser:
    return SlackUser(f"U{i:07d}", f"Member {i}", "en-US")


def _confirmed(telegram: TelegramEmulator, slack: SlackEmulator) -> dict[tuple[str, str], float]:
    """When each member's confirmation landed (the first edit in their private chat)."""
    done: dict[tuple[str, str], float] = {}
    for call in telegram.calls_to("editMessageText"):
        if int(call.params["chat_id"]) >= TELEGRAM_MEMBERS_FROM:
            done.setdefault(("telegram", str(call.params["chat_id"])), call.at)
    for call in slack.calls_to("chat.update"):
        if str(call.params["channel"]).startswith("D"):
            done.setdefault(("slack", str(call.params["channel"])), call.at)
    return done


def copy_edits(telegram: TelegramEmulator, slack: SlackEmulator) -> int:
    """Edits of the letter's copies (in groups and channels) that reached the platforms."""
    groups = [c for c in telegram.calls_to("editMessageText") if int(c.params["chat_id"]) < 0]
    channels = [c for c in slack.calls_to("chat.update") if str(c.params["channel"]).startswith("C")]
    return len(groups) + len(channels)


_MARKS = "\u200e\u200f\u2066\u2067\u2068\u2069"  # direction marks and isolates around a line


def copy_counts(telegram: TelegramEmulator, slack: SlackEmulator) -> list[str]:
    """Each copy's count as the platform shows it now: the last line of its newest edit."""
    newest: dict[str, str] = {}
    for call in telegram.calls_to("editMessageText"):
        if int(call.params["chat_id"]) < 0:
            newest[f"telegram:{call.params['chat_id']}"] = str(call.params["text"])
    for call in slack.calls_to("chat.update"):
        if str(call.params["channel"]).startswith("C"):
            newest[f"slack:{call.params['channel']}"] = str(call.params.get("text", ""))
    return [text.strip().splitlines()[-1].strip(_MARKS) for text in newest.values() if text.strip()]


async def sign_ons(telegram: TelegramEmulator, slack: SlackEmulator, order: dict[str, Any]) -> dict[str, Any]:
    """Play ``order["members"]`` presses (half on each platform, or Telegram only), ``concurrency`` at a time.

    Returns:
        seconds from the first press to the last confirmation, each confirmed press's latency, and how many
        presses were confirmed.
    """
    members, concurrency = int(order["members"]), int(order["concurrency"])
    telegram_only = bool(order.get("telegram_only"))
    slack.events_url = order.get("slack_events_url")
    per_platform = members if telegram_only else members // 2
    semaphore = asyncio.Semaphore(concurrency)
    presses: list[tuple[str, str, float]] = []

    async def press_telegram(i: int) -> None:
        user = telegram_member(i)
        telegram.private_chat(user)
        stored = telegram.bot_message(
            user.id,
            "Sign for Org?",
            {"inline_keyboard": [[{"text": "Sign", "callback_data": "sign-ok:1:org"}]]},
        )
        async with semaphore:
            presses.append(("telegram", str(user.id), time.monotonic()))
            await telegram.press(user, stored, "sign-ok:1:org")

    async def press_slack(i: int) -> None:
        user = slack.add_user(slack_member(i))
        message = slack.bot_message(
            slack.dm_channel(user), "Sign for Org?", [{"type": "actions", "elements": [BUTTON]}]
        )
        async with semaphore:
            presses.append(("slack", slack.dm_channel(user), time.monotonic()))
            await slack.press(user, message, "Sign")

    started = time.monotonic()
    jobs = [press_telegram(i) for i in range(per_platform)]
    if not telegram_only:
        jobs += [press_slack(i) for i in range(per_platform)]
    await asyncio.gather(*jobs)
    expected = per_platform * (1 if telegram_only else 2)
    for _ in range(12_000):  # ten minutes at most; fewer confirmations than presses is reported as such
        if len(_confirmed(telegram, slack)) >= expected:
            break
        await asyncio.sleep(0.05)
    done = _confirmed(telegram, slack)
    latencies = [done[(platform, chat)] - at for platform, chat, at in presses if (platform, chat) in done]
    last = max(done.values(), default=started)
    return {"seconds": last - started, "latencies": latencies, "confirmed": len(done), "expected": expected}
