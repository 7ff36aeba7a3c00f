"""Shared fixtures: a migrated store on SQLite and on the machine's PostgreSQL, and a wired bot.

PostgreSQL is the server on 127.0.0.1:5432 (user postgres, trust auth). Under ``CI=true`` an unreachable
server fails the run instead of skipping, so storage tests can never silently run on SQLite alone.

``SOS_TEST_CLOCK=YYYY-MM-DD`` (or ``--clock YYYY-MM-DD``) runs the whole suite with the clock moved there
(time-machine, ticking on), so a date bug fails CI rather than the users; CI runs the suite once each way.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
import time_machine

from bot.app import App, build_app
from bot.config import SecretariatIdentity, Settings
from storage.migrate import upgrade
from tests import travel

PG_ADMIN_DSN = os.environ.get("SOS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TABLES_TO_KEEP = {"alembic_version"}
T = TypeVar("T")
_TRAVELLER = pytest.StashKey[time_machine.travel]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("SOS_TEST_CLOCK") or None,
        help="run every test with the clock moved to this date (YYYY-MM-DD, UTC); default $SOS_TEST_CLOCK",
    )


def pytest_configure(config: pytest.Config) -> None:
    # One journey for the whole session, started before test modules are imported: module-level values
    # (tests.clock.YEAR), the event loops, the emulators and the bot's own threads all see the moved clock.
    # It ticks, so timeouts and pacing measured by the wall clock keep working.
    clock = config.getoption("--clock")
    if clock:
        traveller = time_machine.travel(datetime.fromisoformat(clock).replace(tzinfo=UTC), tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller
        travel.MOVED = True  # subprocesses follow through tests.travel.python_m
    # Not an operator variable: the bot refuses unknown SOS_* variables, in this process and its children.
    os.environ.pop("SOS_TEST_CLOCK", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    clock = config.getoption("--clock")
    return f"clock moved to {clock} (time-machine, ticking)" if clock else None


def _in_thread(function: Callable[[], T]) -> T:
    """Run blocking setup (which may start its own event loop) outside pytest-asyncio's running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def _pg_dsn_for(database: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"


async def _pg_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated, dropped at the end."""
    name = f"sosbot_test_{uuid.uuid4().hex[:10]}"
    try:
        _in_thread(lambda: asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"')))
    except Exception as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_DSN} under CI=true: {error!r}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable ({error!r}); set CI=true to make this a failure")
    url = _pg_dsn_for(name).replace("postgresql://", "postgresql+asyncpg://")
    _in_thread(lambda: upgrade(url))
    yield url
    _in_thread(lambda: asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def _truncate(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [f'"{r["tablename"]}"' for r in rows if r["tablename"] not in TABLES_TO_KEEP]
        await connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "sos.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite store for one test."""
    return _sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return _sqlite_copy(sqlite_template, tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    await _truncate(url)
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings: sandbox (no platform), sandbox key, Amina and Sam (console) as bootstrap secretariat."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secretariat": (SecretariatIdentity("console", "", "amina"),),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[App]:
    """The wired bot on a fresh SQLite store."""
    bot = build_app(make_settings(sqlite_url))
    yield bot
    await bot.close()


@pytest.fixture
async def any_app(database_url: str) -> AsyncIterator[App]:
    """The wired bot, once on SQLite and once on PostgreSQL."""
    bot = build_app(make_settings(database_url))
    yield bot
    await bot.close()


from tests.rigs import slack, telegram, telegram_polling  # noqa: E402  (platform rigs for every test package)

__all__ = ["slack", "telegram", "telegram_polling"]


@pytest.fixture(autouse=True)
def fast_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pace (and wait out 429s) at a hundredth of real time, as the emulators' clocks run in tests.

    A test of the limits themselves scales the bot and the emulator alike (tests/adapters/test_reply_pacing.py).
    """
    import bot.app

    monkeypatch.setattr(bot.app, "DEFAULT_TIME_SCALE", 0.01)
