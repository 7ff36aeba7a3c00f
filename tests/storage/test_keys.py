"""Keys: the database's key check, the sandbox's key kept to the sandbox's database, rotation in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox import seed
from storage.crypto import SANDBOX_KEY, Keyring, generate_key, install_keyring
from storage.db import create_engine, session_factory
from storage.keycheck import SANDBOX_REFUSED, WRONG_KEY, KeyCheckError, encrypted_columns, verify_data_key
from storage.models import Person, Setting
from storage.rotation import rotate_keys

OLD, NEW, OTHER = generate_key(), generate_key(), generate_key()


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def _refusal(sessions: async_sessionmaker[AsyncSession], *keys: str) -> str | None:
    try:
        await verify_data_key(sessions, Keyring(keys))
    except KeyCheckError as error:
        return str(error)
    return None


async def _seed_under(sessions: async_sessionmaker[AsyncSession], *keys: str) -> None:
    install_keyring(Keyring(keys))
    await seed(sessions)


async def _raw_tokens(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    tokens: list[str] = []
    async with sessions() as session:
        for _, column, _ in encrypted_columns():
            query = select(type_coerce(column, Text())).where(column.is_not(None))
            tokens += [str(v) for v in (await session.execute(query)).scalars()]
    return tokens


async def test_the_first_start_stores_a_check_and_a_wrong_key_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await _refusal(sessions, OLD) is None
    async with sessions() as session:
        stored = [s.key for s in (await session.execute(select(Setting))).scalars()]
    assert stored == ["data_key_check"]  # no sandbox mark on a real database
    assert await _refusal(sessions, OLD) is None
    assert await _refusal(sessions, NEW, OLD) is None  # a rotation in progress: the old key still opens it
    assert await _refusal(sessions, OTHER) == WRONG_KEY
    assert WRONG_KEY.startswith("SOS_DATA_KEY: ") and "\n" not in WRONG_KEY


async def test_a_database_from_before_the_check_is_tested_against_its_data(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _seed_under(sessions, OLD)  # people with encrypted names, no check value yet
    assert await _refusal(sessions, OTHER) == WRONG_KEY
    assert await _refusal(sessions, SANDBOX_KEY) == SANDBOX_REFUSED
    assert await _refusal(sessions, OLD) is None
    assert await _refusal(sessions, OTHER) == WRONG_KEY


async def test_the_sandbox_key_opens_only_the_sandbox_database(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await _refusal(sessions, SANDBOX_KEY) is None  # the sandbox creates its database: marked
    async with sessions() as session:
        assert {s.key for s in (await session.execute(select(Setting))).scalars()} == {
            "data_key_check",
            "sandbox_database",
        }
    assert await _refusal(sessions, SANDBOX_KEY) is None
    assert await _refusal(sessions, OLD) == WRONG_KEY  # a real key does not open sandbox data either


async def test_the_sandbox_key_is_refused_on_a_real_database(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await _refusal(sessions, OLD) is None
    assert await _refusal(sessions, SANDBOX_KEY) == SANDBOX_REFUSED
    assert await _refusal(sessions, OLD, SANDBOX_KEY) == SANDBOX_REFUSED
    assert "\n" not in SANDBOX_REFUSED


class Interrupted(Exception):
    pass


async def test_rotation_commits_in_batches_and_resumes_after_an_interruption(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _seed_under(sessions, OLD)
    assert await _refusal(sessions, OLD) is None
    total = len(await _raw_tokens(sessions))
    assert total >= 7  # the sandbox people's names at least

    rotating = Keyring((NEW, OLD))
    install_keyring(rotating)  # every process restarted with the new key first: new values are under it

    async def stop_after_first_batch(count: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        await rotate_keys(sessions, rotating, batch_size=3, after_batch=stop_after_first_batch)
    under_new = [t for t in await _raw_tokens(sessions) if rotating.is_newest(t)]
    assert len(under_new) == 3  # the first batch was committed before the interruption

    assert await rotate_keys(sessions, rotating, batch_size=3) == total - 3  # resumed: done ones skipped
    assert await rotate_keys(sessions, rotating, batch_size=3) == 0

    newest_only = Keyring((NEW,))
    assert all(newest_only.authenticates(t) for t in await _raw_tokens(sessions))
    assert await _refusal(sessions, NEW) is None  # the check value moved to the new key too
    assert await _refusal(sessions, OLD) == WRONG_KEY
    install_keyring(newest_only)  # the old key dropped: everything still reads
    async with sessions() as session:
        names = (await session.execute(select(Person.display_name))).scalars().all()
    assert "Lucía Hernández" in names
