"""Logs carry no content at any verbosity: a whole report through Telegram and Slack, every logger at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.adapters.emulators.slack import SlackUser
from bot.adapters.emulators.telegram import User
from bot.logs import configure_logging
from tests.adapters import test_contract as contract
from tests.adapters.test_contract import Driver, SlackDriver, TelegramDriver
from tests.rigs import WEBHOOK_SECRET, slack_rig, telegram_rig


@dataclass
class Recording:
    """A driver that remembers every text the person typed (their answers are what must not leak)."""

    driver: Driver
    typed: list[str] = field(default_factory=list)

    async def say(self, text: str) -> list[str]:
        if not text.startswith("/") and len(text) > 3:
            self.typed.append(text)
        return await self.driver.say(text)

    async def press(self, label: str) -> list[str]:
        return await self.driver.press(label)

    async def write(self, text: str) -> list[str]:
        """An answer to a report question (a modal's field on Slack): a marker too."""
        if len(text) > 3:
            self.typed.append(text)
        return await self.driver.write(text)


@dataclass
class Scene:
    person: Recording
    secrets: list[str]


@pytest.fixture(params=["telegram-polling", "telegram-webhook", "slack-http"])
async def scene(
    request: pytest.FixtureRequest, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Scene]:
    configure_logging(verbose=True)  # what `sosbot -v` does
    caplog.set_level(logging.DEBUG)  # and the root at DEBUG before anything is built: the worst case
    if request.param.startswith("telegram"):
        rig = await telegram_rig(sqlite_url, request.param.split("-")[1])
        yield Scene(
            Recording(TelegramDriver(rig, User(4242, "Ana", "en"))), [rig.emulator.token, WEBHOOK_SECRET]
        )
        await rig.close()
    else:
        srig = await slack_rig(sqlite_url)
        user = srig.emulator.add_user(SlackUser("U0ANA", "Ana", "en-US"))
        yield Scene(
            Recording(SlackDriver(srig, user)), [srig.emulator.bot_token, srig.emulator.signing_secret]
        )
        await srig.close()


def _leaks(records: list[logging.LogRecord], needles: list[str]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        found += [f"{record.name}: {needle!r}" for needle in needles if needle in text]
    return found


async def test_a_whole_report_under_debug_logging_leaves_no_answer_and_no_secret(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    await contract.test_a_threat_report_end_to_end(scene.person)  # the report as the contract plays it
    assert len(scene.person.typed) >= 3  # the answers typed are the markers
    logging.getLogger("bot.probe").debug("probe")  # the capture takes DEBUG lines: the scan is not vacuous
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert [r.getMessage() for r in records if r.name == "bot.probe"] == ["probe"]
    assert _leaks(records, [*scene.person.typed, *scene.secrets]) == []
