"""Direct alerts: members subscribe and narrow them with buttons or words; anyone can unsubscribe."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.core.events import Button
from storage.models import AuditEntry, Subscription
from storage.targeting import TargetSpec, resolve
from tests.handlers.test_appeals import in_group
from tests.support import chat, people

CHOOSER = (
    "Urgent appeals here: {choice}. Pick regions and working groups to narrow them; with none picked, you "
    "receive every appeal."
)


async def subscription(app: App, person_id: int) -> Subscription | None:
    async with app.sessions() as session:
        found = await session.execute(select(Subscription).where(Subscription.person_id == person_id))
        return found.scalar_one_or_none()


async def chat_ids(app: App, spec: str) -> list[str]:
    kind, _, value = spec.partition(":")
    async with app.sessions() as session:
        return [t.chat_id for t in await resolve(session, TargetSpec(kind, value), "en")]


async def test_subscribe_and_narrow_with_buttons(app: App) -> None:
    await people(app)
    joseph = chat(app, "joseph")
    assert await joseph.say("/subscribe") == [
        "You will receive every urgent appeal here. Type UNSUBSCRIBE to stop."
    ]
    assert [b.label for row in joseph.last_buttons for b in row] == ["Choose regions and working groups"]
    [chooser] = await joseph.press("Choose regions and working groups")
    assert chooser == CHOOSER.format(choice="every appeal")
    assert [[b.label for b in row] for row in joseph.last_buttons] == [
        ["Africa", "Americas", "Asia"],
        ["Europe", "Middle East and North Africa"],
        ["Women and ESCR", "Corporate Accountability"],
        ["Strategic Litigation", "Economic Policy"],
        ["Monitoring", "Social Movements"],
        ["Every appeal", "Done"],
        ["Unsubscribe"],
    ]
    assert await joseph.press("Africa") == [CHOOSER.format(choice="Africa")]
    africa_off = joseph.last_buttons[0][0]
    assert africa_off.label == "✓ Africa"
    await joseph.press("Monitoring")
    assert await joseph.press("Corporate Accountability") == [
        CHOOSER.format(choice="Africa, Corporate Accountability, Monitoring")
    ]
    stored = await subscription(app, 4)
    assert stored is not None and (stored.regions, stored.working_groups) == (
        ["africa"],
        ["corporate-accountability", "monitoring"],
    )
    assert await joseph.press_button(africa_off) == [
        CHOOSER.format(choice="Corporate Accountability, Monitoring")
    ]
    assert await joseph.press_button(africa_off) == [
        CHOOSER.format(choice="Corporate Accountability, Monitoring")
    ]
    assert await joseph.press("Done") == [
        "You will receive urgent appeals for: Corporate Accountability, Monitoring. Type UNSUBSCRIBE to stop."
    ]
    assert await chat_ids(app, "group:monitoring") == ["dm-joseph"]
    assert await chat_ids(app, "group:women-escr") == []
    assert await chat_ids(app, "region:asia") == ["dm-joseph"]  # no region picked: every region
    assert await joseph.press_button(Button("x", "alerts", "group:astrology:on")) == [
        "This button has expired."
    ]
    await joseph.press_button(Button("Every appeal", "alerts", "all"))
    assert await chat_ids(app, "group:women-escr") == ["dm-joseph"]
    assert await joseph.press_button(Button("Unsubscribe", "alerts", "off")) == [
        "You will no longer receive urgent appeals here."
    ]
    assert await joseph.press_button(africa_off) == [
        "You are not subscribed: type SUBSCRIBE to receive urgent appeals."
    ]
    assert await chat_ids(app, "all") == []
    async with app.sessions() as session:
        actions = await session.execute(
            select(AuditEntry.action).where(AuditEntry.action.like("subscription.%"))
        )
        assert actions.scalars().all() == ["subscription.on"] + ["subscription.change"] * 6 + [
            "subscription.off"
        ]


async def test_subscribe_with_words_in_spanish(app: App) -> None:
    await people(app)
    lucia = chat(app, "lucia")
    [answer] = await lucia.say("/subscribe americas women-escr")
    assert answer != "You will receive every urgent appeal here. Type UNSUBSCRIBE to stop."
    stored = await subscription(app, 3)
    assert stored is not None and stored.active
    assert (stored.regions, stored.working_groups) == (["americas"], ["women-escr"])
    [unknown] = await lucia.say("/subscribe atlantis")
    assert "atlantis" in unknown
    again = await subscription(app, 3)
    assert again is not None and (again.regions, again.working_groups) == (["americas"], ["women-escr"])
    async with app.sessions() as session:
        [target] = await resolve(session, TargetSpec("region", "americas"), "en")
    assert (target.chat_id, target.language, target.timezone) == ("dm-lucia", "es", "America/Mexico_City")


async def test_members_subscribe_anyone_unsubscribes(app: App) -> None:
    await people(app)
    assert await chat(app, "rafael").say("/subscribe") != []
    assert await subscription(app, 6) is None  # a defender is told how to join instead
    assert await chat(app, "rafael").say("/unsubscribe") != []
    assert await chat(app, "newcomer", hint="en").say("/subscribe") == [
        "Urgent appeals go to the network's members. Type JOIN to say which organisation you belong to, "
        "then SUBSCRIBE."
    ]
    joseph = chat(app, "joseph")
    await joseph.say("/subscribe")
    assert await chat(app, "sam").say("/revoke 4") == ["#4 is now: defender (was: member)."]
    assert await chat_ids(app, "all") == []  # no longer a member: no longer a recipient
    assert await joseph.say("/unsubscribe") == ["You will no longer receive urgent appeals here."]
    assert await joseph.say("/unsubscribe") == ["You were not subscribed."]
    assert await in_group(app, "joseph", "g-1").say("/subscribe") == [
        "Please write to me in a private chat for this."
    ]
