"""Registering member and triage channels in the group itself, listing and deactivating them."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from storage.models import AuditEntry, Channel, ChannelKind
from tests.handlers.test_appeals import in_group
from tests.support import chat, people


async def channels(app: App) -> list[Channel]:
    async with app.sessions() as session:
        return list((await session.execute(select(Channel).order_by(Channel.id))).scalars().all())


async def test_registration_in_the_group_records_the_chat(app: App) -> None:
    await people(app)
    group = in_group(app, "sam", "g-1")
    assert await group.say("/channel member es americas corporate-accountability strategic-litigation") == [
        "This chat is now a member channel (Spanish, Americas, Corporate Accountability, Strategic Litigation)."
    ]
    assert (
        await in_group(app, "sam", "g-2").say("/channel member women-escr fr")
        == [
            "This chat is now a member channel (French, Women and ESCR)."  # no region: a network-wide working group
        ]
    )
    assert await in_group(app, "sam", "g-3").say("/channel triage") == [
        "This chat is now the secretariat's triage channel."
    ]
    rows = await channels(app)
    assert [(c.chat_id, c.title, c.kind, c.language, c.region, c.working_groups, c.active) for c in rows] == [
        ("g-1", "Group g-1", ChannelKind.MEMBER, "es", "americas",
         ["corporate-accountability", "strategic-litigation"], True),
        ("g-2", "Group g-2", ChannelKind.MEMBER, "fr", None, ["women-escr"], True),
        ("g-3", "Group g-3", ChannelKind.TRIAGE, None, None, [], True),
    ]  # fmt: skip
    assert rows[0].platform == "console" and rows[0].workspace == ""
    # Registering again changes the same row.
    assert await group.say("/channel member pt americas") == [
        "This chat is now a member channel (Portuguese, Americas)."
    ]
    assert await in_group(app, "sam", "g-3").say("/channel triage ar") != []
    rows = await channels(app)
    assert len(rows) == 3 and (rows[0].language, rows[0].working_groups) == ("pt", [])
    assert rows[2].language == "ar"
    async with app.sessions() as session:
        audited = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "channel.register")))
            .scalars()
            .all()
        )
    assert len(audited) == 5 and audited[0].detail["groups"] == [
        "corporate-accountability",
        "strategic-litigation",
    ]


async def test_listing_and_deactivating(app: App) -> None:
    await people(app)
    await in_group(app, "sam", "g-1").say("/channel member es americas")
    await in_group(app, "sam", "g-2").say("/channel triage")
    await in_group(app, "sam", "g-3").say("/channel member en")
    sam = chat(app, "sam")
    assert await sam.say("/channels") == [
        "3 registered channels:\n"
        "#1 Group g-1 (console) — member channel: Spanish, Americas\n"
        "#2 Group g-2 (console) — triage channel\n"
        "#3 Group g-3 (console) — member channel: English\n"
        "CHANNEL off N stops sending to channel N."
    ]
    assert await in_group(app, "sam", "g-1").say("/channel off") == [
        "This chat will no longer receive anything from the bot."
    ]
    assert await sam.say("/channel off 3") == ["#3 Group g-3 will no longer receive anything from the bot."]
    assert await sam.say("/channel off 99") == ["No registered channel has the number 99."]
    [listing] = await sam.say("/channels")
    assert "#1 Group g-1 (console) — inactive" in listing and "#3 Group g-3 (console) — inactive" in listing
    assert [c.active for c in await channels(app)] == [False, True, False]
    # Listing is for private chats: the channel list is not for a group's members to read.
    assert await in_group(app, "sam", "g-2").say("/channels") == [
        "Please write to me in a private chat for this."
    ]


async def test_bad_registrations(app: App) -> None:
    await people(app)
    sam = chat(app, "sam")
    assert await sam.say("/channel member es americas") == [
        "Type this in the group or channel you want to register."
    ]
    group = in_group(app, "sam", "g-1")
    assert await group.say("/channel member es mars") == [
        "Unknown language, region or working group: mars.\n"
        "Languages: English, Spanish, French, Arabic, Portuguese. "
        "Regions: Africa, Americas, Asia, Europe, Middle East and North Africa. "
        "Working groups: Women and ESCR, Corporate Accountability, Strategic Litigation, Economic Policy, "
        "Monitoring, Social Movements."
    ]
    assert await group.say("/channel member americas") == [
        "A member channel has one language and at most one region."
    ]
    assert await group.say("/channel member es fr africa") == [
        "A member channel has one language and at most one region."
    ]
    [usage] = await group.say("/channel")
    assert usage.startswith(
        "Usage:\nCHANNEL member language [region] [working groups]\nCHANNEL triage [language]\n"
        "CHANNEL off [number, from a private chat]\nLanguages: English, Spanish"
    )
    assert (await channels(app))[0].kind is None  # seen, not registered
    await group.say("/channel member es")
    [shown] = await group.say("/channel")
    assert shown.startswith("This chat is now a member channel (Spanish).\nUsage:")


async def test_only_the_secretariat_registers(app: App) -> None:
    await people(app)
    for who in ("lucia", "joseph", "rafael"):
        [refusal] = await in_group(app, who, "g-1").say("/channel member es americas")
        assert refusal != "This chat is now a member channel (Spanish, Americas)."
    [english] = await in_group(app, "joseph", "g-1").say("/channel triage")
    assert english == "Sorry, this isn't available to you. Type HELP to see what you can do."
    assert await chat(app, "joseph").say("/channel off 1") == [
        "Sorry, this isn't available to you. Type HELP to see what you can do."
    ]
    assert all(c.kind is None for c in await channels(app))
