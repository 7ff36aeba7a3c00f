"""The shared case store, on SQLite and on PostgreSQL: identities, encryption at rest, dedup, constraints."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.app import App
from storage.models import Case, Letter, Person, Signature
from storage.repositories import Store
from tests.clock import YEAR

EXPECTED_TABLES = {
    "persons", "identities", "organisations", "channels", "cases", "case_events", "appeals", "appeal_texts",
    "letters", "letter_texts", "signatures", "deliveries", "conversations", "audit", "processed_events",
    "settings", "subscriptions", "alembic_version",
}  # fmt: skip


async def test_migrations_create_the_whole_domain(any_app: App) -> None:
    async with any_app.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert EXPECTED_TABLES <= tables


async def test_one_person_per_platform_identity(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        store = Store(session)
        first, created = await store.persons.get_or_create("telegram", "", "42", "Ana", "es")
        again, created_again = await store.persons.get_or_create("telegram", "", "42", "Ana", "es")
        other, _ = await store.persons.get_or_create("slack", "T1", "42", "Ana")
    assert created and not created_again
    assert first.id == again.id != other.id


async def test_sensitive_fields_are_encrypted_on_disk(any_app: App) -> None:
    secret = "Detained at the checkpoint near the river by two officers"
    async with any_app.sessions() as session, session.begin():
        session.add(Case(reference=f"SOS-{YEAR}-0001", what_happened=secret, contact="+52 55 1234 5678"))
        session.add(Person(display_name="Lucía Hernández"))
    async with any_app.sessions() as session:
        raw = (await session.execute(text("SELECT what_happened, contact FROM cases"))).one()
        raw_name = (await session.execute(text("SELECT display_name FROM persons"))).scalar_one()
        case = (await session.execute(select(Case))).scalar_one()
    assert secret not in raw[0] and "1234" not in raw[1] and "Lucía" not in raw_name
    assert raw[0].startswith("gAAAA")  # a Fernet token
    assert case.what_happened == secret


async def test_processed_event_ids_are_claimed_once(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        events = Store(session).events
        assert await events.claim("telegram", "tg:1")
        assert not await events.claim("telegram", "tg:1")
        assert await events.claim("slack", "tg:1")  # ids are per platform


async def test_timestamps_come_back_timezone_aware_utc(any_app: App) -> None:
    moment = datetime(YEAR, 11, 23, 10, 0, tzinfo=UTC)
    async with any_app.sessions() as session, session.begin():
        session.add(Letter(reference=f"CL-{YEAR}-001", addressee="Ministry", deadline=moment))
    async with any_app.sessions() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    assert letter.deadline == moment and letter.deadline.tzinfo is not None


async def test_two_simultaneous_signatures_for_one_organisation_give_one(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        letter = Letter(reference=f"CL-{YEAR}-002", addressee="Governor")
        session.add(letter)
    results = await asyncio.gather(
        *(_sign(any_app, letter.id, platform) for platform in ("telegram", "slack")), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["IntegrityError", "bool"]
    async with any_app.sessions() as session:
        count = len((await session.execute(select(Signature))).scalars().all())
    assert count == 1


async def _sign(app: App, letter_id: int, platform: str) -> bool:
    async with app.sessions() as session, session.begin():
        session.add(Signature(letter_id=letter_id, signer_key="org:7", platform=platform))
    return True


async def test_organisation_names_are_unique_ignoring_case_and_spaces(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        store = Store(session)
        first, created = await store.organisations.get_or_create("Green  Advocates", "Liberia")
        second, created_again = await store.organisations.get_or_create("green advocates", None)
    assert created and not created_again and first.id == second.id
    assert first.name == "Green Advocates"


async def test_conversation_is_one_per_person_and_chat(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        store = Store(session)
        person, _ = await store.persons.get_or_create("console", "", "ana")
        first = await store.conversations.start(person.id, "console", "dm", "join", "name", {})
        second = await store.conversations.start(person.id, "console", "dm", "forget", "confirm", {})
        active = await store.conversations.active(person.id, "console", "dm")
    assert active is not None and active.flow == "forget" and first.token != second.token


async def test_erasing_a_person_removes_identities_and_details(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        store = Store(session)
        person, _ = await store.persons.get_or_create("telegram", "", "77", "Karim", "ar")
        person.language = "ar"
        removed = await store.persons.erase(person)
    async with any_app.sessions() as session:
        store = Store(session)
        assert await store.persons.identity("telegram", "", "77") is None
        erased = await store.persons.get(person.id)
    assert removed == 1
    assert erased is not None and erased.display_name is None and erased.language is None
    assert erased.erased_at is not None


async def test_identity_uniqueness_is_a_database_constraint(any_app: App) -> None:
    from storage.models import Identity

    async with any_app.sessions() as session, session.begin():
        person = Person()
        session.add(person)
        await session.flush()
        session.add(Identity(person_id=person.id, platform="telegram", workspace="", user_id="9"))
    with pytest.raises(IntegrityError):
        async with any_app.sessions() as session, session.begin():
            session.add(Identity(person_id=person.id, platform="telegram", workspace="", user_id="9"))


async def test_references_keep_counting_past_the_padding(any_app: App) -> None:
    from storage.appeals import AppealRepository
    from storage.models import Appeal, utcnow

    year = utcnow().year
    async with any_app.sessions() as session, session.begin():
        session.add(Appeal(reference=f"UA-{year}-999"))
        session.add(Appeal(reference=f"UA-{year}-1000"))
    async with any_app.sessions() as session, session.begin():
        created = await AppealRepository(session).create(author_id=None)  # type: ignore[arg-type]
    assert created.reference == f"UA-{year}-1001"
