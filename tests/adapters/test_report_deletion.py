"""Deletion as a durable promise, through the real clients and the emulators: after Send, CANCEL, BACK, the panic
word and a relayed message, the chat holds none of what the defender wrote nor the bot's summary of it. Deletions
go through the outbox: answered 429 they are retried, and they land even when the process died after the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.adapters.emulators.slack import SlackUser
from bot.adapters.emulators.telegram import User
from bot.app import build_app
from bot.core.outbox import OutboxWorker, WorkerConfig
from storage.models import Case, CaseEvent
from tests.adapters.test_contract import SlackDriver, TelegramDriver
from tests.rigs import SlackRig, TelegramRig, slack_rig, telegram_rig

FAST = WorkerConfig(time_scale=0.01, idle_poll=1.0, flush_interval=1.0, backoff_base=1.0)
NAMES, PLACE, WHAT, WHEN, CONTACT = (
    "Zelda Quintero-Marker",
    "Vereda Marker-Alta",
    "Marker: paramilitaries burned the community radio",
    "Marker-Tuesday night",
    "+57 300 MARKER",
)
MARKERS = (NAMES, PLACE, WHAT, WHEN, CONTACT)
ANA = User(5151, "Ana", "en")


def year() -> int:
    return datetime.now(UTC).year


@pytest.fixture
async def tg(sqlite_url: str) -> AsyncIterator[TelegramRig]:
    rig = await telegram_rig(sqlite_url, "polling")
    yield rig
    await rig.close()


@pytest.fixture
async def sl(sqlite_url: str) -> AsyncIterator[SlackRig]:
    rig = await slack_rig(sqlite_url)
    yield rig
    await rig.close()


async def deliver(rig: TelegramRig | SlackRig) -> None:
    """What the outbox worker of the running process does: deliver (and delete) what is queued."""
    await OutboxWorker(rig.app.sessions, {rig.adapter.platform: rig.adapter}, config=FAST).run_until_idle()  # type: ignore[dict-item]


def telegram_history(rig: TelegramRig, user: User) -> list[str]:
    """Everything still visible in the private chat: the person's messages and the bot's."""
    return [m.visible or m.text for m in rig.emulator.messages[user.id] if not m.deleted]


def slack_history(rig: SlackRig, channel: str) -> list[str]:
    return [m.text for m in rig.emulator.messages[channel] if not m.deleted and m.ephemeral_for is None]


def leaks(history: list[str]) -> list[str]:
    return [text for text in history if any(marker in text for marker in MARKERS) or "Please check" in text]


async def up_to_summary(person: TelegramDriver | SlackDriver) -> list[str]:
    await person.say("/report")
    await person.press("Another person")
    await person.write(NAMES)
    await person.write("Colombia")
    await person.write(PLACE)
    await person.press("Physical attack or threat")
    await person.write(WHAT)
    await person.write(WHEN)
    await person.press("Immediate danger")
    await person.press("Protection (physical security, relocation)")
    await person.press("Done")
    await person.write(CONTACT)
    await person.press("The secretariat only")
    return await person.press("No")


async def test_after_send_telegram_keeps_nothing_even_after_a_429_and_a_second_press(tg: TelegramRig) -> None:
    person = TelegramDriver(tg, ANA)
    [summary] = await up_to_summary(person)
    assert summary.startswith("Please check your report.") and CONTACT in summary
    assert len(leaks(telegram_history(tg, ANA))) == 6  # five answers and the summary, until stored
    [stored] = await person.press("Send the report")
    assert stored.startswith(f"Your report is stored as SOS-{year()}-0001.")
    # The summary is still there until the outbox deletes it: pressing Send again finds the stored case.
    assert await person.press("Send the report") == [f"This report is already stored as SOS-{year()}-0001."]
    tg.emulator.inject("deleteMessages", 429, times=1)
    await deliver(tg)
    assert leaks(telegram_history(tg, ANA)) == []
    batches = tg.emulator.calls_to("deleteMessages")
    assert len(batches) == 2 and len(batches[-1].params["message_ids"]) == 6  # refused once, then all at once
    assert tg.emulator.calls_to("deleteMessage")  # the summary, a bot message, by its own id
    async with tg.app.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert (case.place, case.contact, case.country) == (PLACE, CONTACT, "CO")


async def test_deletions_queued_before_a_crash_land_after_the_restart(tg: TelegramRig) -> None:
    person = TelegramDriver(tg, ANA)
    await up_to_summary(person)
    await person.press("Send the report")
    # The process is killed right after the commit: nothing was deleted yet. A new process takes over.
    restarted = build_app(tg.app.settings)
    try:
        assert len(leaks(telegram_history(tg, ANA))) == 6
        worker = OutboxWorker(restarted.sessions, {"telegram": tg.adapter}, config=FAST)
        await worker.run_until_idle()
        assert leaks(telegram_history(tg, ANA)) == []
    finally:
        await restarted.close()


async def test_cancel_back_and_the_panic_word_leave_nothing(tg: TelegramRig) -> None:
    person = TelegramDriver(tg, ANA)
    await person.say("/report")
    await person.press("Another person")
    await person.write(NAMES)
    await person.write("Colombia")
    assert await person.say("CANCEL") == ["Cancelled. Nothing was saved."]
    await deliver(tg)
    assert leaks(telegram_history(tg, ANA)) == []

    [summary] = await up_to_summary(person)
    assert await person.press("Back") == ["May names be published (for example in a public statement)?"]
    await deliver(tg)  # BACK: the summary leaves at once; the answers stay until the report ends
    history = telegram_history(tg, ANA)
    assert summary not in history and any(WHAT in text for text in history)
    assert await person.say("BACK") == ["Who may see this report?"]
    assert await person.say("BACK") == [  # typed: the contact answer, about to be redone, leaves too
        "How may the secretariat contact you? Write it, or choose this chat only."
    ]
    await deliver(tg)
    assert not any(CONTACT in text for text in telegram_history(tg, ANA))
    assert await person.say("CLEAR") == ["Done."]
    await deliver(tg)
    assert leaks(telegram_history(tg, ANA)) == []
    assert "CLEAR" not in telegram_history(tg, ANA)  # the panic word itself goes too


async def test_media_during_a_report_is_answered_and_deleted(tg: TelegramRig) -> None:
    person = TelegramDriver(tg, ANA)
    await person.say("/report")
    await person.press("Me")
    await person.write("-")
    answers = await person._seen(tg.emulator.user_sends_media(ANA, "photo", caption=f"Country: {PLACE}"))
    assert answers == [
        "I can only take written answers in a report, so I deleted your file. Please write instead.",
        "In which country? Write its name, or part of it.",
    ]
    await deliver(tg)
    assert all(m.deleted for m in tg.emulator.messages[ANA.id] if m.document == "photo")
    assert await person.write("Colombia") == ["Where exactly (town, region)?"]


async def test_a_relayed_message_leaves_the_chat_once_on_the_timeline(tg: TelegramRig) -> None:
    person = TelegramDriver(tg, ANA)
    await up_to_summary(person)
    await person.press("Send the report")
    await person.say("/mycases")
    await person.press(f"Add information to SOS-{year()}-0001")
    await person.say(f"New number: {CONTACT}")
    await deliver(tg)
    assert leaks(telegram_history(tg, ANA)) == []
    async with tg.app.sessions() as session:
        bodies = (await session.execute(select(CaseEvent.body))).scalars().all()
    assert f"New number: {CONTACT}" in bodies


async def test_slack_answers_go_in_forms_and_the_summary_is_deleted(sl: SlackRig) -> None:
    user = sl.emulator.add_user(SlackUser("U0ANA", "Ana", "en-US"))
    person = SlackDriver(sl, user)
    [intro, _first] = await person.say("/report")
    assert "does not let me delete your messages, so each written answer goes in a form" in intro
    await person.say("/report")  # starting again: the first report's traces go too
    await up_to_summary(person)
    channel = sl.emulator.dm_channel(user)
    assert sl.emulator.messages_in(channel, from_bot=False) == []  # nothing typed: every answer was a form
    assert len(leaks(slack_history(sl, channel))) == 1  # the summary, until the report ends
    [stored] = await person.press("Send the report")
    assert stored.startswith(f"Your report is stored as SOS-{year()}-0001.")
    sl.emulator.inject("chat.delete", "429", times=1)
    await deliver(sl)
    assert leaks(slack_history(sl, channel)) == []
    assert len(sl.emulator.calls_to("chat.delete")) == 2  # refused once (429), then deleted
    typed = await person.say("/report")
    assert len(typed) == 2
    await person.press("Me")
    assert await person.say("my name") == [
        "Please use the “Write the answer” button: this platform does not let me delete what you type here, "
        "and an answer written in the form stays out of this chat. You may delete your message yourself.",
        "Names of the people at risk, if you wish (or - to skip).",
    ]
