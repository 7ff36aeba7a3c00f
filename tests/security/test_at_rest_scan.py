"""The scan of "Done when": a report, a relay both ways, a cancelled report and the panic word through Telegram
and Slack with ``-v`` logging, then every place a thief or a group member could look — the database (the
SQLite file and its WAL as raw bytes, or every PostgreSQL row as text), the logs, ``/metrics`` and every
group history the emulators keep — holds no answer and no platform id of the reporter; after ``forget`` and
after ``purge`` nothing of the person or the case is left, even read with the key."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from bot.adapters.emulators.slack import SlackUser
from bot.adapters.emulators.telegram import User
from bot.app import App
from bot.config import SecretariatIdentity
from bot.core.outbox import OutboxWorker
from bot.logs import configure_logging
from bot.web import bound_port
from storage.cases import purge_closed
from storage.models import Base, Case, utcnow
from tests.adapters.test_contract import Driver, SlackDriver, TelegramDriver, settle
from tests.clock import YEAR
from tests.core.test_outbox import FAST
from tests.rigs import SAM, SlackRig, TelegramRig, slack_rig, telegram_rig

AMINA = User(9001, "Amina", "en")
ROSA_TG = User(555123456789, "Rosa", "en")
ROSA_SLACK = SlackUser("U0ROSAXQ7Z", "Rosa", "en-US")
GROUP = -100777
TRIAGE = "C0TRIAGE"
# Distinctive markers, one per answer: none may appear outside Rosa's and the secretariat's private chats.
REPORT = ["Rosa Quispe Mamani", "Calle Zurbarán 77", "bulldozers flattened the seed bank", "dawn of Tuesday",
          "+504 9911 2233 via Signal"]  # fmt: skip
CANCELLED, PANIC = "Lucho Cancelado Vargas", "Pancho Pánico Ortiz"
TO_REPORTER, FROM_REPORTER = "meet Padre Ignacio at the chapel", "my brother crossed to Guatemala"
MARKERS = [*REPORT, CANCELLED, PANIC, TO_REPORTER, FROM_REPORTER]


@dataclass
class Scene:
    platform: str
    rig: TelegramRig | SlackRig
    reporter: Driver
    ids: list[str]  # the reporter's platform user id and private chat id
    own_chats: set[Any]  # the reporter's and the secretariat's private chats

    @property
    def app(self) -> App:
        return self.rig.app

    async def deliver(self) -> None:
        """What the outbox worker of the running process does: deliver (and delete) what is queued."""
        adapters = {self.rig.adapter.platform: self.rig.adapter}
        await OutboxWorker(self.app.sessions, adapters, config=FAST).run_until_idle()  # type: ignore[arg-type]
        await settle(self.rig.emulator.calls)

    async def secretariat(self, words: str) -> None:
        """The secretariat member types in their private chat with the bot."""
        if isinstance(self.rig, TelegramRig):
            await self.rig.emulator.user_says(AMINA, words)
        else:
            await self.rig.emulator.user_says(SAM, words)
        await settle(self.rig.emulator.calls, 0.3)
        await self.deliver()


@pytest.fixture(params=["telegram", "slack"])
async def scene(
    request: pytest.FixtureRequest, database_url: str, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Scene]:
    configure_logging(verbose=True)  # what `sosbot -v` does
    caplog.set_level(logging.DEBUG)
    if request.param == "telegram":
        rig: TelegramRig | SlackRig = await telegram_rig(
            database_url, "webhook", secretariat=(SecretariatIdentity("telegram", "", str(AMINA.id)),)
        )
        assert isinstance(rig, TelegramRig)
        ids = [str(ROSA_TG.id)]
        driver: Driver = TelegramDriver(rig, ROSA_TG)
        own: set[Any] = {ROSA_TG.id, AMINA.id}
    else:
        rig = await slack_rig(database_url, secretariat=(SecretariatIdentity("slack", "T0SANDBOX", SAM.id),))
        rosa = rig.emulator.add_user(ROSA_SLACK)
        ids = [rosa.id, rig.emulator.dm_channel(rosa)]
        driver = SlackDriver(rig, rosa)
        own = {rig.emulator.dm_channel(rosa), rig.emulator.dm_channel(SAM)}
    yield Scene(request.param, rig, driver, ids, own)
    await rig.close()


async def _triage_channel(scene: Scene) -> None:
    if isinstance(scene.rig, TelegramRig):
        telegram = scene.rig.emulator
        await scene.secretariat("/help")
        await telegram.user_says(AMINA, "/channel triage", telegram.group(GROUP, "Triage"))
        await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 1)
    else:
        slack = scene.rig.emulator
        await scene.secretariat("help")
        mention = {"type": "app_mention", "channel": TRIAGE, "user": SAM.id, "text": "<@U0BOT> channel triage",
                   "ts": "1.1"}  # fmt: skip
        await slack.send_event(mention)
        await slack.wait_for(lambda: len(slack.messages_in(TRIAGE)) == 1)


async def _play(scene: Scene) -> str:
    """Every conversation of the brief; returns the stored case's reference."""
    await _triage_channel(scene)
    person = scene.reporter
    await person.say("/start")
    await person.say("/report")
    await person.press("Me")
    await person.write(REPORT[0])
    await person.write("Hond")
    await person.write(REPORT[1])
    await person.press("Criminalisation")
    await person.write(REPORT[2])
    await person.write(REPORT[3])
    await person.press("Immediate danger")
    await person.press("Legal support")
    await person.press("Done")
    await person.write(REPORT[4])
    await person.press("The secretariat only")
    [summary] = await person.press("Yes")
    assert REPORT[0] in summary and REPORT[4] in summary  # the answers really went in
    [stored] = await person.press("Send the report")
    reference = f"SOS-{YEAR}-0001"
    assert stored.startswith(f"Your report is stored as {reference}.")
    await scene.deliver()

    await person.say("/report")  # a report abandoned with CANCEL
    await person.press("Me")
    await person.write(CANCELLED)
    await person.say("CANCEL")
    await scene.deliver()
    await person.say("/report")  # and one wiped with the panic word
    await person.press("Me")
    await person.write(PANIC)
    await person.say("clear")
    await scene.deliver()

    await scene.secretariat(f"{'/' if scene.platform == 'telegram' else ''}reply {reference} {TO_REPORTER}")
    await person.press("Answer")
    await person.say(FROM_REPORTER)
    await scene.deliver()
    return reference


async def _database(scene: Scene) -> str:
    """The store as a thief reads it without the key: raw file bytes (SQLite) or every row as text (PostgreSQL)."""
    url = scene.app.settings.database_url
    if url.startswith("sqlite"):
        path = Path(str(make_url(url).database))
        files = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        return "\n".join(p.read_bytes().decode("latin-1") for p in files)
    rows = []
    async with scene.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            query = text(f'SELECT t::text FROM "{table.name}" t')
            rows += [str(r) for r in (await session.execute(query)).scalars().all()]
    return "\n".join(rows)


async def _metrics(scene: Scene) -> str:
    assert scene.rig.site is not None
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://127.0.0.1:{bound_port(scene.rig.site)}/metrics") as response:
            return await response.text()


def _histories(scene: Scene, *, own: bool) -> list[str]:
    """What the platforms keep: every group or channel history, or (``own``) the reporter's visible chat."""
    emulator = scene.rig.emulator
    found: list[str] = []
    for chat, messages in emulator.messages.items():
        mine = chat in (ROSA_TG.id, scene.ids[-1])
        if (own and not mine) or (not own and chat in scene.own_chats):
            continue
        for m in messages:
            if getattr(m, "ephemeral_for", None) or (own and m.deleted):
                continue  # an ephemeral was never in the history; a deleted message is gone from it
            found.append(f"{m.text} {getattr(m, 'visible', '')} {getattr(m, 'reply_markup', '')} "
                         f"{getattr(m, 'blocks', '')}")  # fmt: skip
    return found


def _hits(where: str, haystack: str, needles: list[str]) -> list[str]:
    return [f"{where}: {needle!r}" for needle in needles if needle in haystack]


async def _scan(scene: Scene, caplog: pytest.LogCaptureFixture, needles: list[str]) -> list[str]:
    logs = "\n".join(
        r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "")
        for r in caplog.get_records("setup") + caplog.get_records("call")
    )
    return [
        *_hits("database", await _database(scene), needles),
        *_hits("logs", logs, needles),
        *_hits("/metrics", await _metrics(scene), needles),
        *_hits("groups", "\n".join(_histories(scene, own=False)), needles),
    ]


async def _decrypted(scene: Scene) -> str:
    """Every row of every table read with the key (sealed values opened): what the operator could still see."""
    found = []
    async with scene.app.sessions() as session:
        for mapper in Base.registry.mappers:
            for row in (await session.execute(select(mapper.class_))).scalars().all():
                found.append(repr({c.key: getattr(row, c.key) for c in mapper.column_attrs}))
    return "\n".join(found)


async def test_no_answer_and_no_account_outside_the_private_chats_then_nothing_after_forget_and_purge(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    reference = await _play(scene)
    logging.getLogger("bot.probe").debug("probe %s", "scan")
    assert "probe scan" in caplog.text  # the capture takes DEBUG lines: the scan is not vacuous
    needles = [*MARKERS, *scene.ids]
    assert await _scan(scene, caplog, needles) == []
    # Not vacuous: the raw store and the triage history hold the reference (plain), the store holds the case
    # and the relay (read with the key).
    assert reference in await _database(scene) and reference in "\n".join(_histories(scene, own=False))
    assert FROM_REPORTER in await _decrypted(scene) and REPORT[2] in await _decrypted(scene)
    # In Rosa's own chat, what she typed in the report and the summary echoing it were deleted.
    assert _hits("own chat", "\n".join(_histories(scene, own=True)), [*REPORT, CANCELLED, PANIC]) == []

    await scene.reporter.say("/forget")
    await scene.reporter.press("Erase my data")
    await scene.deliver()
    assert await _scan(scene, caplog, needles) == []
    with_key = await _decrypted(scene)
    assert _hits("store after forget", with_key, [REPORT[0], REPORT[4], *scene.ids]) == []

    async with scene.app.sessions() as session, session.begin():
        closed = utcnow() - timedelta(days=scene.app.settings.retention_days + 1)
        await session.execute(
            update(Case).where(Case.reference == reference).values(status="closed", closed_at=closed)
        )
    async with scene.app.sessions() as session, session.begin():
        assert await purge_closed(session, scene.app.settings.retention_days) == 1
    assert await _scan(scene, caplog, needles) == []
    assert _hits("store after purge", await _decrypted(scene), needles) == []
