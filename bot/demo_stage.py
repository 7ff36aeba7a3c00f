"""The demo's stage: plays people on both emulators and prints what changed in every chat after each act.

After each act the stage waits until the platforms show a change, the outbox has nothing due, and nothing has
moved for a short while; then it prints every new, edited or deleted message, in the chat where it happened.
A step that changes nothing in time (or not what it expected) fails the demo.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator
from storage.models import Delivery, utcnow

QUIET = 0.3  # seconds without any change before a step counts as finished (direct replies are paced)
STEP_TIMEOUT = 8.0


class DemoFailed(Exception):
    """A step got no answer, or not the one it expected."""


@dataclass(frozen=True)
class Shown:
    """One message as a person sees it."""

    chat: str  # the chat's label in the transcript
    text: str
    buttons: tuple[str, ...]
    edited: bool
    deleted: bool
    from_bot: bool


@dataclass(frozen=True)
class Change:
    """What one act changed in one message."""

    kind: str  # "new", "edited" or "deleted"
    message: Shown


Snapshot = dict[tuple[str, str, str], Shown]


class Stage:
    """Both emulators, the names of their chats, and the transcript."""

    def __init__(
        self,
        out: TextIO,
        telegram: TelegramEmulator,
        slack: SlackEmulator,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.out, self.telegram, self.slack, self.sessions = out, telegram, slack, sessions
        self.names: dict[str, str] = {}
        self.steps = 0

    def name(self, platform: str, chat_id: int | str, label: str) -> None:
        """Show ``chat_id`` as ``label`` in the transcript."""
        self.names[f"{platform}:{chat_id}"] = label

    def _label(self, platform: str, chat_id: int | str) -> str:
        return self.names.get(f"{platform}:{chat_id}", f"{platform} {chat_id}")

    def snapshot(self) -> Snapshot:
        """Every message in every chat of both platforms, as people see them."""
        seen: Snapshot = {}
        for chat_id, messages in self.telegram.messages.items():
            for message in messages:
                seen[("telegram", str(chat_id), str(message.message_id))] = Shown(
                    self._label("telegram", chat_id),
                    message.visible or message.text or (f"📎 {message.document}" if message.document else ""),
                    tuple(str(b["text"]) for b in message.buttons()),
                    message.edited,
                    message.deleted,
                    message.from_bot,
                )
        for query_id, answer in self.telegram.callback_answers.items():
            if answer:  # a button press answered with a short notice over the person's chat
                seen[("telegram", "notice", query_id)] = Shown("(notice)", answer, (), False, False, True)
        for channel, slack_messages in self.slack.messages.items():
            for slack_message in slack_messages:
                seen[("slack", channel, slack_message.ts)] = Shown(
                    self._label("slack", channel),
                    slack_message.text,
                    tuple(str(b["text"]["text"]) for b in slack_message.buttons()),
                    slack_message.edited,
                    slack_message.deleted,
                    slack_message.user == self.slack.bot_user_id,
                )
        for upload in self.slack.uploads:
            if upload.get("channel"):  # shared in a channel once the upload completed
                seen[("slack", "file", str(upload["id"]))] = Shown(
                    self._label("slack", str(upload["channel"])),
                    f"📎 {upload['filename']} ({len(upload['content']):,} bytes)",
                    (),
                    False,
                    False,
                    True,
                )
        return seen

    @staticmethod
    def changes(before: Snapshot, after: Snapshot) -> list[Change]:
        """What moved between two snapshots, in the order the messages were made."""
        found: list[Change] = []
        for key, now in after.items():
            then = before.get(key)
            if then is None:
                if now.from_bot and not now.deleted:
                    found.append(Change("new", now))
            elif now.deleted and not then.deleted:
                found.append(Change("deleted", now))
            elif (now.text, now.buttons) != (then.text, then.buttons):
                found.append(Change("edited", now))
        return found

    async def _outbox_due(self, within: float = 0.0) -> int:
        """Rows the worker holds or will take within ``within`` seconds (coalesced edits wait for their window)."""
        until = utcnow() + timedelta(seconds=within)
        async with self.sessions() as session:
            query = select(func.count(Delivery.id)).where(
                or_(
                    and_(Delivery.status == "pending", Delivery.next_attempt_at <= until),
                    Delivery.status == "leased",
                )
            )
            return int((await session.execute(query)).scalar_one())

    async def settle(self, within: float = 15.0) -> None:
        """The end of the story: wait for what is still on its way (live status, counts), and show it."""
        before = self.snapshot()
        for _ in range(int((within + STEP_TIMEOUT) / 0.1)):
            if not await self._outbox_due(within):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(QUIET)
        found = self.changes(before, self.snapshot())
        if found:
            self.out.write("\n(the bot)> delivers what was still on its way\n")
            self._print(found)

    async def act(
        self,
        who: str,
        said: str,
        action: Callable[[], Awaitable[object]],
        expect: Callable[[list[Change]], bool] | None = None,
        timeout: float = STEP_TIMEOUT,
    ) -> list[Change]:
        """``who`` does ``action`` (shown as ``said``); prints and returns what changed on the platforms."""
        self.steps += 1
        self.out.write(f"\n{who}> {said}\n")
        before = self.snapshot()
        await action()
        deadline = time.monotonic() + timeout
        last, last_change = before, time.monotonic()
        while True:
            await asyncio.sleep(0.03)
            current = self.snapshot()
            if current != last:
                last, last_change = current, time.monotonic()
            found = self.changes(before, current)
            done = bool(found) and (expect is None or expect(found))
            if done and time.monotonic() - last_change >= QUIET and not await self._outbox_due():
                break
            if time.monotonic() > deadline:
                self._print(found)
                raise DemoFailed(f"step {self.steps} ({who}> {said}) got no expected answer in time")
        self._print(found)
        return found

    def _print(self, found: list[Change]) -> None:
        deleted: dict[str, int] = {}
        for change in found:
            shown = change.message
            if change.kind == "deleted":
                deleted[shown.chat] = deleted.get(shown.chat, 0) + 1
                continue
            mark = "✎ " if change.kind == "edited" else ""
            text = shown.text.replace("\n", "\n      ")
            if shown.chat == "(notice)":
                self.out.write(f"  ⓘ {text}\n")
                continue
            self.out.write(f"  → {shown.chat}: {mark}{text}\n")
            if shown.buttons:
                self.out.write("      " + " ".join(f"[{label}]" for label in shown.buttons) + "\n")
        for chat, count in deleted.items():
            self.out.write(f"  ✂ {chat}: {count} message(s) deleted\n")

    def narrate(self, text: str) -> None:
        """A line of the story between steps."""
        self.out.write(f"\n# {text}\n")
