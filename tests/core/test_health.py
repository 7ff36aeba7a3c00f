"""What an operator watches: /healthz follows the worker and urgent rows, /metrics shows the outbox, the
supervisor restarts what fails, and the new variables are validated like the others."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.app import App, build_app
from bot.config import ConfigError, load_settings
from bot.core.supervise import Backoff, Heartbeat, every, supervise
from bot.runner import sandbox
from bot.web import bound_port, build_web_app, start_site
from storage.models import Delivery, utcnow
from storage.outbox import ROUTINE, URGENT
from tests.conftest import make_settings
from tests.core.test_outbox import enqueue, worker
from tests.core.test_outbox_supervision import running
from tests.rigs import TelegramRig


class Site:
    """The bot's HTTP server on a free port, with a client."""

    def __init__(self, app: App, heartbeat: Heartbeat | None) -> None:
        self.app, self.heartbeat = app, heartbeat

    async def __aenter__(self) -> Site:
        self.runner = await start_site(build_web_app(self.app, [], self.heartbeat), "127.0.0.1", 0)
        self.client = aiohttp.ClientSession(f"http://127.0.0.1:{bound_port(self.runner)}")
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.close()
        await self.runner.cleanup()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.client.get("/healthz") as response:
            return response.status, await response.json()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        async with self.client.get("/metrics") as response:
            page = await response.text()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(page)
            for sample in family.samples
        }


async def test_healthz_fails_while_the_worker_is_stopped_and_recovers_when_it_runs(
    telegram_polling: TelegramRig,
) -> None:
    rig = telegram_polling
    engine = worker(rig)
    async with Site(rig.app, engine.heartbeat) as site:
        async with running(engine):
            await asyncio.sleep(0)  # the worker starts its first round
            assert (await site.health())[0] == 200
        status, body = await site.health()
        assert (status, body["status"], body["reasons"]) == (503, "error", ["outbox worker not running"])
        async with running(engine):
            await asyncio.sleep(0)
            status, body = await site.health()
            assert (status, body["status"]) == (200, "ok")


async def test_healthz_fails_when_the_worker_is_stuck_in_a_round(app: App) -> None:
    stuck = Heartbeat(running=True)
    stuck.last -= 120  # running, but no round completed for two minutes
    async with Site(app, stuck) as site:
        status, body = await site.health()
    assert status == 503 and body["reasons"] == ["outbox worker heartbeat stale (120 s)"]


async def test_healthz_fails_when_an_urgent_row_waits_past_its_limit(telegram_polling: TelegramRig) -> None:
    rig = telegram_polling
    async with Site(rig.app, None) as site:  # a process without a worker checks the queue only
        await enqueue(rig, "case:1:alert", ["8101"], priority=URGENT)
        assert (await site.health())[0] == 200
        async with rig.app.sessions() as session, session.begin():
            await session.execute(update(Delivery).values(created_at=utcnow() - timedelta(minutes=20)))
        status, body = await site.health()
        assert status == 503 and body["reasons"] == ["an urgent message has waited 20 min (limit 15 min)"]


async def test_a_message_waiting_for_a_sandbox_console_to_open_is_not_an_outage(
    telegram_polling: TelegramRig,
) -> None:
    rig = telegram_polling
    async with Site(rig.app, None) as site:
        async with rig.app.sessions() as session, session.begin():
            session.add(Delivery(subject="case:1:alert", platform="console", chat_id="dm-amina", language="ar",
                                 priority=URGENT, payload="{}", created_at=utcnow() - timedelta(hours=2)))  # fmt: skip
        assert (await site.health())[0] == 200  # Amina's alert waits for her console, as it should


async def test_metrics_show_the_outbox_by_status_priority_and_platform(telegram_polling: TelegramRig) -> None:
    rig = telegram_polling
    engine = worker(rig)
    async with Site(rig.app, engine.heartbeat) as site:
        before = await site.metrics()
        rig.emulator.inject("sendMessage", "429", chat_id=8201, retry_after=1)
        await enqueue(rig, "appeal:1", ["8201", "8202"], priority=URGENT)
        await engine.run_until_idle()
        await enqueue(rig, "digest:1", ["8203"], priority=ROUTINE)
        after = await site.metrics()

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert after[("sos_outbox_rows", (("platform", "telegram"), ("priority", "0"), ("status", "sent")))] == 2
    assert (
        after[("sos_outbox_rows", (("platform", "telegram"), ("priority", "9"), ("status", "pending")))] == 1
    )
    assert ("sos_outbox_oldest_pending_seconds", (("priority", "9"),)) in after
    assert ("sos_outbox_oldest_pending_seconds", (("priority", "0"),)) not in after  # nothing urgent waits
    assert 0 <= after[("sos_outbox_heartbeat_age_seconds", ())] < 30
    assert after[("sos_store_up", ())] == 1
    assert delta("sos_outbox_rate_limited_total", platform="telegram") == 1
    assert delta("sos_outbox_outcomes_total", platform="telegram", outcome="sent") == 2
    assert delta("sos_outbox_outcomes_total", platform="telegram", outcome="retry") == 1


async def test_the_supervisor_restarts_a_failing_task_and_logs_its_kind_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    runs: list[int] = []

    async def task() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise ConnectionError("password=secret host=db")
        stop.set()

    await supervise("outbox worker", task, stop, backoff=Backoff(0.001, 0.002))
    assert len(runs) == 3
    failures = [r.getMessage() for r in caplog.records if "outbox worker failed" in r.getMessage()]
    assert len(failures) == 2 and all("ConnectionError" in m and "secret" not in m for m in failures)


async def test_a_periodic_job_goes_on_after_it_fails() -> None:
    stop = asyncio.Event()
    outcomes: list[str] = []

    async def sweep() -> None:
        outcomes.append("failed" if not outcomes else "done")
        if len(outcomes) == 1:
            raise RuntimeError("database is locked")
        if len(outcomes) == 3:
            stop.set()

    heartbeat = Heartbeat()
    await every("letter deadlines", 0.001, sweep, stop, backoff=Backoff(0.001, 0.002), heartbeat=heartbeat)
    assert outcomes == ["failed", "done", "done"] and not heartbeat.running


def test_the_new_variables_are_read_and_validated() -> None:
    defaults = load_settings({}, dotenv=None)
    assert (defaults.urgent_alert_minutes, defaults.unanswered_case_hours) == (15, 2)
    chosen = load_settings({"SOS_URGENT_ALERT_MINUTES": "5", "SOS_UNANSWERED_CASE_HOURS": "1"}, dotenv=None)
    assert (chosen.urgent_alert_minutes, chosen.unanswered_case_hours) == (5, 1)
    for variable in ("SOS_URGENT_ALERT_MINUTES", "SOS_UNANSWERED_CASE_HOURS"):
        for bad in ("0", "-3", "soon", "1.5"):
            with pytest.raises(ConfigError) as caught:
                load_settings({variable: bad}, dotenv=None)
            assert str(caught.value).startswith(variable + ":") and "\n" not in str(caught.value)


async def test_healthz_says_sandbox_while_the_sandbox_runs_on_its_emulators(sqlite_url: str) -> None:
    app = build_app(make_settings(sqlite_url, http_port=0))
    try:
        async with sandbox(app), aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{app.settings.http_port}/healthz") as answer:
                body = await answer.json()
    finally:
        await app.close()
    assert body["sandbox"] is True and body["platforms"] == ["telegram", "slack"]
