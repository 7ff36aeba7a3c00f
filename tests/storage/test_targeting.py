"""Targeting on SQLite and PostgreSQL: who matches all / region / working group / language, in which
language, who falls back; and appeal references allocated race-safely."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.core.events import ChatKind
from storage.appeals import AppealRepository
from storage.models import Channel, ChannelKind, Identity, Person, Role, Subscription, utcnow
from storage.outbox import Target
from storage.targeting import (
    TargetSpec,
    fallback_counts,
    parse,
    private_target,
    recipients,
    resolve,
    secretariat_targets,
)


async def _person(
    session: AsyncSession,
    key: str,
    role: Role = Role.MEMBER,
    language: str | None = "en",
    *,
    subscribed: dict[str, list[str]] | None = None,
    chats: tuple[tuple[str, str | None, str | None], ...] | None = None,
    active: bool = True,
    erased: bool = False,
) -> Person:
    """A person with identities ``(platform, private chat, language hint)`` and maybe a subscription."""
    person = Person(
        role=role, language=language, timezone="Africa/Dakar", erased_at=utcnow() if erased else None
    )
    session.add(person)
    await session.flush()
    for n, (platform, chat_id, hint) in enumerate(chats or (("console", f"dm-{key}", None),)):
        session.add(
            Identity(person_id=person.id, platform=platform, user_id=f"{key}-{n}", private_chat_id=chat_id,
                     language_hint=hint)
        )  # fmt: skip
    if subscribed is not None:
        session.add(
            Subscription(person_id=person.id, regions=subscribed.get("regions", []),
                         working_groups=subscribed.get("groups", []), active=active)
        )  # fmt: skip
    await session.flush()
    return person


async def _network(app: App) -> None:
    async with app.sessions() as session, session.begin():
        for chat_id, kind, language, region, groups, active in (
            ("c-es", ChannelKind.MEMBER, "es", "americas", ["corporate-accountability"], True),
            ("c-fr", ChannelKind.MEMBER, "fr", "africa", ["women-escr"], True),
            ("c-off", ChannelKind.MEMBER, "en", "africa", [], False),
            ("c-triage", ChannelKind.TRIAGE, None, None, [], True),
            ("c-none", ChannelKind.MEMBER, None, None, ["monitoring"], True),
            ("c-seen", None, None, None, [], True),  # a group the bot is in, not registered
        ):
            session.add(Channel(platform="slack", workspace="T1", chat_id=chat_id, kind=kind, language=language,
                                region=region, working_groups=groups, active=active))  # fmt: skip
        # Two platforms, one person: one copy, on the first linked.
        await _person(session, "ana", subscribed={}, chats=(("telegram", "111", None), ("slack", "D1", None)))
        await _person(session, "bea", language=None, subscribed={"regions": ["africa"]},
                      chats=(("telegram", "222", "pt-BR"),))  # fmt: skip
        await _person(session, "cat", Role.SECRETARIAT, "ar", subscribed={"groups": ["women-escr"]})
        await _person(session, "dan", Role.DEFENDER, subscribed={})  # not a member: not a recipient
        await _person(session, "eve", subscribed={}, erased=True)
        await _person(session, "fay", subscribed={}, active=False)
        await _person(session, "gus", subscribed={}, chats=(("slack", None, None),))  # no private chat known
        await _person(session, "hal", language="de", subscribed={"regions": ["asia"]})  # unknown language


async def _chats(app: App, spec: str) -> list[tuple[str, str]]:
    parsed = parse(spec)
    assert parsed is not None
    async with app.sessions() as session:
        return [(t.chat_id, t.language) for t in await resolve(session, parsed, "en")]


async def test_resolve_each_kind_of_target(any_app: App) -> None:
    await _network(any_app)
    assert await _chats(any_app, "all") == [
        ("c-es", "es"), ("c-fr", "fr"), ("c-none", "en"), ("111", "en"), ("222", "pt"), ("dm-cat", "ar"),
        ("dm-hal", "en"),
    ]  # fmt: skip
    assert await _chats(any_app, "region:africa") == [
        ("c-fr", "fr"),
        ("111", "en"),
        ("222", "pt"),
        ("dm-cat", "ar"),
    ]
    assert await _chats(any_app, "region:asia") == [("111", "en"), ("dm-cat", "ar"), ("dm-hal", "en")]
    assert await _chats(any_app, "group:women-escr") == [("c-fr", "fr"), ("111", "en"), ("222", "pt"),
                                                          ("dm-cat", "ar"), ("dm-hal", "en")]  # fmt: skip
    assert await _chats(any_app, "group:monitoring") == [("c-none", "en"), ("111", "en"), ("222", "pt"),
                                                          ("dm-hal", "en")]  # fmt: skip
    assert await _chats(any_app, "language:pt") == [("222", "pt")]
    assert await _chats(any_app, "language:en") == [("c-none", "en"), ("111", "en"), ("dm-hal", "en")]
    async with any_app.sessions() as session:
        targets = await resolve(session, TargetSpec(), "en")
    assert targets[0] == Target("slack", "c-es", "es", "T1", ChatKind.GROUP)
    assert targets[3] == Target("telegram", "111", "en", "", ChatKind.PRIVATE, "Africa/Dakar")


async def test_fallback_per_target(any_app: App) -> None:
    await _network(any_app)
    async with any_app.sessions() as session:
        found = await recipients(session, TargetSpec("region", "africa"), "en", {"en", "fr"})
        only_spanish = await recipients(session, TargetSpec("region", "africa"), "en", {"es"})
    assert [(r.target.chat_id, r.reads, r.fallback) for r in found] == [
        ("c-fr", "fr", False), ("111", "en", False), ("222", "en", True), ("dm-cat", "en", True),
    ]  # fmt: skip
    everyone, fallbacks = fallback_counts(found)
    assert everyone == {"fr": 1, "en": 1, "pt": 1, "ar": 1} and +fallbacks == {"pt": 1, "ar": 1}
    assert {(r.reads, r.fallback) for r in only_spanish} == {("es", True)}  # no default text either: any text


async def test_private_and_secretariat_targets(any_app: App) -> None:
    await _network(any_app)
    async with any_app.sessions() as session:
        bea = await private_target(session, 2, "en")
        nobody = await private_target(session, 999, "en")
        secretariat = await secretariat_targets(session, "fr")
    assert bea == Target("telegram", "222", "pt", "", ChatKind.PRIVATE, "Africa/Dakar") and nobody is None
    assert [(t.chat_id, t.language) for t in secretariat] == [("c-triage", "fr")]


def test_parse_target_specs() -> None:
    assert parse("all") == TargetSpec() and str(parse("Region:Africa")) == "region:africa"
    assert parse("group:women-escr") == TargetSpec("group", "women-escr")
    assert [parse(text) for text in ("region:mars", "group:", "language:de", "everyone", "all:x")] == [
        None
    ] * 5
    assert TargetSpec.stored({"kind": "language", "value": "fr"}) == TargetSpec("language", "fr")
    assert TargetSpec.stored({}) == TargetSpec() and TargetSpec("group", "monitoring").as_json() == {
        "kind": "group",
        "value": "monitoring",
    }


async def test_references_are_unique_per_year_under_concurrent_drafts(any_app: App) -> None:
    async def create() -> str:
        async with any_app.sessions() as session, session.begin():
            return (await AppealRepository(session).create(author_id=None)).reference  # type: ignore[arg-type]

    references = await asyncio.gather(*(create() for _ in range(6)))
    year = utcnow().year
    assert sorted(references) == [f"UA-{year}-{n:03d}" for n in range(1, 7)]
    async with any_app.sessions() as session, session.begin():
        appeal = await AppealRepository(session).by_reference(f" ua-{year}-003 ")
        assert appeal is not None
        await AppealRepository(session).set_text(appeal.id, "fr", "t", "w", "d")
        await AppealRepository(session).set_text(appeal.id, "fr", "t2", "w2", "d2")  # replaced, not added
        texts = await AppealRepository(session).texts(appeal.id)
    assert list(texts) == ["fr"] and texts["fr"].title == "t2"
