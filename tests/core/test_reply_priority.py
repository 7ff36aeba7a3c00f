"""A member's private confirmation does not wait behind a letter's count edits: with hundreds of count edits
queued for Telegram, the answer to a press leaves before them (direct replies and the outbox share one budget
per platform, and the most urgent message takes the next free slot).

The emulator enforces Telegram's published limits on a clock running ``SCALE`` times real time; the bot paces
on the same clock. The order of the calls the emulator received is what is asserted.
"""

from __future__ import annotations

import asyncio

from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.adapters.telegram.render import callback_data
from bot.app import build_app
from bot.core.events import Button, ChatKind
from bot.core.outbox import OutboxWorker, WorkerConfig
from bot.core.outbox_api import Message, Outbox
from bot.core.pacing import PriorityGate
from storage.models import Identity, Letter, Organisation, Person, Role
from storage.outbox import Target
from tests.adapters.telegram_fixtures import start_bot
from tests.conftest import make_settings

SCALE = 0.3  # 100 messages/s: the press is answered long before the 300 edits are out, even on a busy machine
GROUPS = 300
MEMBER = User(700_001, "Lucía", "es")


async def test_a_confirmation_leaves_before_hundreds_of_queued_count_edits(sqlite_url: str) -> None:
    app = build_app(make_settings(sqlite_url), time_scale=SCALE)
    emulator = TelegramEmulator(rate_limits=True, time_scale=SCALE)
    bot = await start_bot(app, "webhook", emulator=emulator)
    worker = OutboxWorker(
        app.sessions, {"telegram": bot.adapter}, config=WorkerConfig(time_scale=SCALE), pacer=app.pacer
    )
    stop = asyncio.Event()
    try:
        async with app.sessions() as session, session.begin():
            letter = Letter(reference="CL-0000-001", addressee="Fiscalía", status="published")
            organisation = Organisation(name="Red DESC", name_key="red desc", country="Mexico", verified=True)
            session.add_all([letter, organisation])
            await session.flush()
            person = Person(display_name="Lucía", role=Role.MEMBER, organisation_id=organisation.id,
                            membership_confirmed=True, language="es")  # fmt: skip
            session.add(person)
            await session.flush()
            session.add(Identity(person_id=person.id, platform="telegram", workspace="",
                                 user_id=str(MEMBER.id), private_chat_id=str(MEMBER.id)))  # fmt: skip
            groups = [Target("telegram", str(-100_000 - n), "es", kind=ChatKind.GROUP) for n in range(GROUPS)]
            for target in groups:
                emulator.group(int(target.chat_id), f"Grupo {target.chat_id}")
            copies = [
                Message(target, "✍️ Carta colectiva: 0 organizaciones han firmado.") for target in groups
            ]
            await Outbox(session).send_many(f"letter:{letter.id}", copies)
        await worker.run_until_idle(timeout=60)  # the letter reached its 300 groups

        async with app.sessions() as session, session.begin():  # then the count moved: one edit per copy
            queued = await Outbox(session).edit_all(
                f"letter:{letter.id}",
                lambda _: ("✍️ Carta colectiva: 1 organización ha firmado.", ()),
                revision=2,
            )
        assert queued == GROUPS
        running = asyncio.create_task(worker.run(stop))
        await emulator.wait_for(lambda: len(emulator.calls_to("editMessageText")) > 0, timeout=30)

        sign = {"text": "Firmar", "callback_data": callback_data(Button("Firmar", "sign", str(letter.id)))}
        prompt = emulator.bot_message(MEMBER.id, "✍️ CL-0000-001", {"inline_keyboard": [[sign]]})
        await emulator.press(MEMBER, prompt, sign["callback_data"])
        await emulator.wait_for(lambda: len(emulator.messages_in(MEMBER.id)) > 1, timeout=30)
        await emulator.wait_for(lambda: len(emulator.calls_to("editMessageText")) == GROUPS, timeout=60)
        stop.set()
        await running

        order = [
            "confirmation" if call.method == "sendMessage" else "count edit"
            for call in emulator.calls
            if (call.method, str(call.params.get("chat_id")) == str(MEMBER.id))
            in (("sendMessage", True), ("editMessageText", False))
        ]
        confirmation = order.index("confirmation")
        before = order[:confirmation].count("count edit")
        after = order[confirmation:].count("count edit")
        assert (emulator.messages_in(MEMBER.id)[-1].visible or "").startswith("Esto publicará: Red DESC")
        assert before + after == GROUPS
        # Only the edits already leaving when the press arrived go first (11 in a run here); before, every edit
        # the worker had claimed queued ahead of the answer (196 first, 104 after).
        assert after > GROUPS // 2, (before, after)
    finally:
        stop.set()
        await bot.close()
        await app.close()


async def test_the_gate_hands_over_most_urgent_first_and_skips_a_cancelled_waiter() -> None:
    gate, order = PriorityGate(), []

    async def leave(name: str, priority: int) -> None:
        async with gate.turn(priority):
            order.append(name)
            await asyncio.sleep(0)

    async with gate.turn(9):  # held: everyone below waits
        waiters = [
            asyncio.create_task(leave(name, p)) for name, p in (("edit 1", 9), ("edit 2", 9), ("reply", 0))
        ]
        gone = asyncio.create_task(leave("gone", 0))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters)
    assert order == ["reply", "edit 1", "edit 2"]
