"""What a stolen database shows (tokens and keyed hashes, no platform id, no case→reporter link), row binding
proved with raw SQL, and what ``forget``, ``purge`` and ``rotate-key`` do to sealed values and hashes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from bot.app import build_app
from storage.cases import CaseRepository, purge_closed
from storage.crypto import DecryptionError, Keyring, generate_key, install_keyring
from storage.models import Case, Delivery, Identity, Person, ProcessedEvent, utcnow
from storage.repositories import Store
from storage.rotation import rotate_keys
from tests.conftest import make_settings
from tests.core.test_outbox import enqueue, rows, worker
from tests.rigs import telegram_rig

REPORTER_ID = "555123456789"


async def _dump(app: object, tables: tuple[str, ...]) -> str:
    """Every row of ``tables`` as raw text, as a thief with the file (and no key) reads it."""
    found = []
    async with app.sessions() as session:  # type: ignore[attr-defined]
        for table in tables:
            found += [
                repr(tuple(row)) for row in (await session.execute(text(f"SELECT * FROM {table}"))).all()
            ]
    return "\n".join(found)


async def _reporter_with_case(app: object) -> tuple[int, int]:
    async with app.sessions() as session, session.begin():  # type: ignore[attr-defined]
        store = Store(session)
        assert await store.events.claim("telegram", "tg:1")
        person, _ = await store.persons.get_or_create(
            "telegram", "", REPORTER_ID, "Rosa Quispe", private_chat_id=REPORTER_ID
        )
        case = await CaseRepository(session).create(
            threat_type="attack", country="HN", reporter_id=person.id, at_risk="me — Rosa Quispe"
        )
        await CaseRepository(session).add_event(case, "created", person.id)
        return person.id, case.id


async def test_a_stolen_database_shows_no_account_and_no_link_from_case_to_reporter(
    database_url: str,
) -> None:
    app = build_app(make_settings(database_url))
    try:
        person_id, case_id = await _reporter_with_case(app)
        raw = await _dump(app, ("identities", "cases", "case_events", "processed_events", "persons"))
        assert REPORTER_ID not in raw and "Rosa" not in raw and "tg:1" not in raw
        async with app.sessions() as session:
            raw_case = (
                await session.execute(text(f"SELECT reporter_id FROM cases WHERE id = {case_id}"))
            ).one()
            actors = (await session.execute(text("SELECT actor_id FROM case_events"))).scalars().all()
            assert str(raw_case[0]) != str(person_id) and raw_case[0].startswith("gAAAA")
            assert actors == [None]  # the reporter's own timeline entry names no person
            # With the key, everything is found again through the keyed hashes.
            store = Store(session)
            identity = await store.persons.identity("telegram", "", REPORTER_ID)
            assert identity is not None and identity.private_chat_id == REPORTER_ID
            assert [c.id for c in await CaseRepository(session).of_reporter(person_id)] == [case_id]
            assert await store.events.seen("telegram", "tg:1")
    finally:
        await app.close()


async def test_a_relay_row_pointed_at_another_chat_is_never_delivered(database_url: str) -> None:
    rig = await telegram_rig(database_url, "polling")
    try:
        await enqueue(rig, "case:1:reporter", ["7301"], text="Meet at the blue church")
        await enqueue(rig, "appeal:1", ["7302"])
        async with rig.app.sessions() as session, session.begin():
            # Whoever can write the file copies the other row's chat (token and hash) into the relay row.
            await session.execute(
                text(
                    "UPDATE deliveries SET chat_id = (SELECT chat_id FROM deliveries WHERE subject = 'appeal:1'), "
                    "chat_hash = (SELECT chat_hash FROM deliveries WHERE subject = 'appeal:1') "
                    "WHERE subject = 'case:1:reporter'"
                )
            )
        await worker(rig).run_until_idle()
        sent = rig.emulator.calls_to("sendMessage")
        assert [call.params["chat_id"] for call in sent] == [7302]
        assert all("blue church" not in str(call.params) for call in sent)
        async with rig.app.sessions() as session:
            failed = (
                await session.execute(
                    select(Delivery.last_error).where(Delivery.subject == "case:1:reporter")
                )
            ).scalar_one()
        assert failed == "undecodable: DecryptionError"
        # A payload moved between rows does not open either.
        async with rig.app.sessions() as session, session.begin():
            await session.execute(
                text(
                    "UPDATE deliveries SET payload = (SELECT payload FROM deliveries WHERE subject = "
                    "'case:1:reporter') WHERE subject = 'appeal:1'"
                )
            )
        with pytest.raises(DecryptionError):
            await rows(rig)
    finally:
        await rig.close()


async def test_forget_leaves_no_outbox_row_event_id_or_own_name(database_url: str) -> None:
    app = build_app(make_settings(database_url))
    try:
        person_id, case_id = await _reporter_with_case(app)
        async with app.sessions() as session, session.begin():
            store = Store(session)
            from bot.core.codec import encode, encode_erasure
            from storage.outbox import ERASE, OutboxRepository, Target

            outbox = OutboxRepository(session)
            target = Target("telegram", REPORTER_ID, "en")
            await outbox.enqueue(f"case:{case_id}:reporter", target, encode("Are you safe?"))
            erasure = encode_erasure(["41", "42"], target.kind)
            await outbox.enqueue(
                "report:1:typed", target, erasure, operation=ERASE
            )  # still to wipe their chat: kept
            person = await store.persons.get(person_id)
            assert person is not None
            await store.persons.erase(person)
        async with app.sessions() as session:
            subjects = (await session.execute(select(Delivery.subject))).scalars().all()
            assert subjects == ["report:1:typed"]
            assert (await session.execute(select(func.count(ProcessedEvent.id)))).scalar_one() == 0
            assert (await session.execute(select(func.count(Identity.id)))).scalar_one() == 0
            case = await session.get(Case, case_id)
            assert case is not None and case.at_risk == "me" and case.contact is None
    finally:
        await app.close()


async def test_purge_removes_the_case_outbox_and_prunes_old_events_and_deliveries(database_url: str) -> None:
    app = build_app(make_settings(database_url))
    try:
        _, case_id = await _reporter_with_case(app)
        long_ago = utcnow() - timedelta(days=400)
        async with app.sessions() as session, session.begin():
            from bot.core.codec import encode
            from storage.outbox import OutboxRepository, Target

            outbox = OutboxRepository(session)
            await outbox.enqueue(
                f"case:{case_id}", Target("telegram", "9001", "en"), encode("Calle 7, Tegucigalpa")
            )
            await outbox.enqueue("appeal:1", Target("telegram", "-100", "en"), encode("old appeal"))
            await outbox.enqueue("appeal:2", Target("telegram", "-100", "en"), encode("recent appeal"))
            await session.flush()
            await session.execute(
                update(Delivery).where(Delivery.subject == "appeal:1").values(status="sent", sent_at=long_ago)
            )
            await session.execute(
                update(Delivery).where(Delivery.subject == "appeal:2").values(status="sent")
            )
            await session.execute(update(ProcessedEvent).values(created_at=long_ago))
            await session.execute(
                update(Case).where(Case.id == case_id).values(status="closed", closed_at=long_ago)
            )
        async with app.sessions() as session, session.begin():
            assert await purge_closed(session, 365) == 1
        async with app.sessions() as session:
            assert (await session.execute(select(Delivery.subject))).scalars().all() == ["appeal:2"]
            assert (await session.execute(select(func.count(ProcessedEvent.id)))).scalar_one() == 0
            case = await session.get(Case, case_id)
            assert case is not None and case.reporter_id is None and case.at_risk is None
    finally:
        await app.close()


async def test_rotation_rewrites_lookup_hashes_so_the_old_key_can_go(database_url: str) -> None:
    old, new = generate_key(), generate_key()
    install_keyring(Keyring((old,)))
    app = build_app(make_settings(database_url, data_keys=(old,)))
    try:
        person_id, case_id = await _reporter_with_case(app)
        rotating = Keyring((new, old))
        install_keyring(rotating)
        async with (
            app.sessions() as session
        ):  # during the window, look-ups find rows hashed under the old key
            assert await Store(session).persons.identity("telegram", "", REPORTER_ID) is not None
        await rotate_keys(app.sessions, rotating)
        async with app.sessions() as session:
            hashes = (await session.execute(text("SELECT user_hash FROM identities"))).scalars().all()
        assert hashes == [rotating.lookup("identities.user_id", REPORTER_ID)]
        install_keyring(Keyring((new,)))  # the old key dropped: every look-up still finds its row
        async with app.sessions() as session:
            store = Store(session)
            assert await store.persons.identity("telegram", "", REPORTER_ID) is not None
            assert [c.id for c in await CaseRepository(session).of_reporter(person_id)] == [case_id]
            person = await session.get(Person, person_id)
            assert person is not None and person.display_name == "Rosa Quispe"
    finally:
        await app.close()
