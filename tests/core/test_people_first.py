"""While people's events queue for their turn, the worker leaves routine rows (a letter's live counts) waiting
and keeps delivering everything else; the counts go out once the process has answered the people.

The dispatcher says it is crowded while an event waits for one of its slots.
"""

from __future__ import annotations

import asyncio

from bot.core.context import Context
from bot.core.dispatcher import MAX_CONCURRENT_EVENTS
from bot.core.events import ActionEvent, Actor, ChatRef, Event
from bot.core.router import Route
from storage.outbox import NORMAL, ROUTINE
from tests.core.test_outbox import enqueue, rows, worker
from tests.rigs import telegram_rig


async def test_routine_rows_wait_while_people_queue_and_go_once_they_are_answered(sqlite_url: str) -> None:
    rig = await telegram_rig(sqlite_url, "polling")
    crowded = True
    try:
        await enqueue(rig, "letter:1", ["-1001", "-1002", "-1003"], priority=ROUTINE)
        await enqueue(rig, "case:1:alert", ["501"], priority=NORMAL)
        engine = worker(rig, crowded=lambda: crowded)
        assert await engine.drain_once() == 1  # the alert only
        await asyncio.gather(*engine._tasks)
        await engine.flush()
        assert {r.chat_id: r.status for r in await rows(rig)} == {
            "-1001": "pending", "-1002": "pending", "-1003": "pending", "501": "sent",
        }  # fmt: skip
        crowded = False
        await engine.run_until_idle()
        assert {r.status for r in await rows(rig)} == {"sent"}
        sent = [call.params["chat_id"] for call in rig.emulator.calls_to("sendMessage")]
        assert sent[0] == 501 and sorted(sent[1:]) == [-1003, -1002, -1001]
    finally:
        await rig.close()


def press_event(user: int, action: str) -> ActionEvent:
    """A person pressing a button in their private chat with the bot."""
    actor = Actor("telegram", str(user), display_name="Member", language_hint="en")
    return ActionEvent(f"press-{user}", actor, ChatRef("telegram", str(user)), action=action, message_id="1")


async def test_the_dispatcher_is_crowded_while_an_event_waits_for_a_slot(sqlite_url: str) -> None:
    rig = await telegram_rig(sqlite_url, "polling")
    dispatcher = rig.app.dispatcher
    release = asyncio.Event()

    async def slow(ctx: Context, _event: Event) -> None:
        await release.wait()

    dispatcher.router.actions["slow"] = Route(slow)
    try:
        assert not dispatcher.crowded
        busy = [
            asyncio.create_task(dispatcher.handle(press_event(9000 + n, "slow")))
            for n in range(MAX_CONCURRENT_EVENTS)
        ]
        await asyncio.sleep(0.2)
        assert not dispatcher.crowded  # every event has a slot
        waiting = asyncio.create_task(dispatcher.handle(press_event(9999, "slow")))
        await asyncio.sleep(0.05)
        assert dispatcher.crowded
        release.set()
        await asyncio.gather(*busy, waiting)
        assert not dispatcher.crowded
    finally:
        await rig.close()
