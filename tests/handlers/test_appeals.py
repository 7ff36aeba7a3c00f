"""Appeals in dialogs: channels, subscriptions, drafting, translations, preview, targeting, two-person rule,
sending (the outbox rows), update, follow-up, retraction, "I acted" and status."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.core.events import ChatKind, ChatRef
from storage.models import Appeal, AuditEntry, Channel, Delivery
from storage.outbox import URGENT, to_message
from tests.support import chat, people


def in_group(app: App, who: str, chat_id: str) -> object:
    person = chat(app, who)
    person.chat = ChatRef("console", chat_id, kind=ChatKind.GROUP, title=f"Group {chat_id}")
    return person


async def draft(app: App, sam: object) -> None:
    await sam.say("/appeal new")  # type: ignore[attr-defined]
    await sam.say("Defender detained in Guatemala City")  # type: ignore[attr-defined]
    await sam.say("Ana López was detained on 20 November after a community assembly.")  # type: ignore[attr-defined]
    await sam.say("Write to the Attorney General and share the statement.")  # type: ignore[attr-defined]
    return await sam.say("2026-12-01 18:00")  # type: ignore[attr-defined, no-any-return]


async def setup_network(app: App) -> None:
    await people(app)
    assert (
        await in_group(app, "sam", "g-americas").say("/channel member es americas corporate-accountability")
    )[0] == ("This chat is now a member channel (es, americas, corporate-accountability).")
    await in_group(app, "sam", "g-africa").say("/channel member fr africa women-escr")
    await in_group(app, "sam", "g-triage").say("/channel triage")
    assert await chat(app, "joseph").say("/subscribe africa") == [
        "You will receive urgent appeals for: africa. Type UNSUBSCRIBE to stop."
    ]
    await chat(app, "karim").say("/subscribe")  # Arabic, everything


async def deliveries(app: App, subject: str | None = "appeal:1") -> list[Delivery]:
    """The outbox rows of one subject (the appeal's copies by default; None for every row)."""
    query = select(Delivery).order_by(Delivery.id)
    if subject is not None:
        query = query.where(Delivery.subject == subject)
    async with app.sessions() as session:
        return list((await session.execute(query)).scalars().all())


async def test_whole_lifecycle_in_dialogs(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    assert await draft(app, sam) == [
        "UA-2026-001 saved (en). Next: APPEAL translate, target, preview, then send."
    ]
    await sam.say("/appeal translate UA-2026-001 es")
    await sam.say("Defensora detenida en Ciudad de Guatemala")
    await sam.say("Ana López fue detenida el 20 de noviembre.")
    assert await sam.say("Escriban al Fiscal General.") == [
        "UA-2026-001 saved (es). Next: APPEAL translate, target, preview, then send."
    ]

    [preview] = await sam.say("/appeal target UA-2026-001 region:africa")
    assert preview.startswith(
        "UA-2026-001 goes to 3 targets (region:africa).\n2 of them will read it in a fallback language."
    )
    assert "— fr (1) — fallback" in preview and "— ar (1) — fallback" in preview and "— en (1) —" in preview

    [sent] = await sam.say("/appeal send UA-2026-001")
    assert sent == "UA-2026-001 is on its way to 3 targets."
    rows = await deliveries(app)
    assert sorted((r.chat_id, r.language) for r in rows) == [
        ("dm-joseph", "en"),
        ("dm-karim", "ar"),
        ("g-africa", "fr"),
    ]
    assert {r.priority for r in rows} == {URGENT} and {r.subject for r in rows} == {"appeal:1"}
    french = to_message(next(r for r in rows if r.language == "fr"))
    assert french.text.startswith(
        "🚨 Appel urgent UA-2026-001\nDefender detained in Guatemala City"
    )  # fallback text
    assert [b.label for b in french.buttons[0]] == ["J’ai agi"]
    arabic = to_message(next(r for r in rows if r.language == "ar"))
    assert arabic.rtl and "\u2068UA-2026-001\u2069" in arabic.text
    # Sam typed 18:00 in New York; Joseph reads it in Monrovia's time, a channel in UTC, both named.
    assert (
        "Deadline: December 1, 2026, 11:00:00\u202fPM GMT"
        in to_message(next(r for r in rows if r.language == "en")).text
    )
    assert "Échéance : 1 décembre 2026, 23:00:00 TU" in french.text  # « temps universel »

    # Members act (once each), the secretariat sees it.
    joseph = chat(app, "joseph")
    button = french.buttons[0][0]
    assert await joseph.press_button(button) == ["Thank you! The secretariat sees that you acted."]
    assert await joseph.press_button(button) == ["Already counted. Thank you!"]
    [status] = await sam.say("/appeal status UA-2026-001")
    assert status.startswith("UA-2026-001 (sent): 0 sent, 3 pending, 0 failed")
    assert status.endswith("1 person said they acted.")

    # Sent copies are marked delivered by the worker; here we mark them to exercise update and follow-up.
    async with app.sessions() as session, session.begin():
        for row in (await session.execute(select(Delivery))).scalars().all():
            row.status, row.platform_message_id = "sent", f"m-{row.id}"
    await sam.say("/appeal update UA-2026-001 en")
    await sam.say("Defender detained in Guatemala City (released on bail)")
    await sam.say("Ana López was released on bail on 23 November.")
    assert await sam.say("Keep writing: the charges stand.") == ["3 copies will be updated."]
    edits = [r for r in await deliveries(app) if r.operation == "edit"]
    [status_message] = await deliveries(app, "appeal:1:status")  # edited live by the worker as copies land
    assert to_message(status_message).text.startswith("UA-2026-001 (sent): 0 sent, 3 pending, 0 failed")
    assert len(edits) == 3 and {r.revision for r in edits} == {2}
    assert to_message(next(r for r in edits if r.language == "en")).text.startswith(
        "UPDATED\n🚨 Urgent appeal UA-2026-001"
    )

    assert await sam.say("/appeal followup UA-2026-001 Hearing moved to 5 December") == [
        "The follow-up goes to 3 copies."
    ]
    followups = await deliveries(app, "appeal:1:followup")
    assert {to_message(r).reply_to for r in followups} == {f"m-{i}" for i in (1, 2, 3)}

    assert await sam.say("/appeal retract UA-2026-001") == ["3 copies will show the retraction."]
    retractions = [r for r in await deliveries(app) if r.operation == "edit" and r.revision == 4]
    assert to_message(next(r for r in retractions if r.language == "fr")).text.startswith(
        "Cet appel urgent (UA-2026-001) a été retiré par le secrétariat."
    )
    assert await joseph.press_button(button) == ["This appeal is closed."]
    async with app.sessions() as session:
        actions = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.action.like("appeal.%"))))
            .scalars()
            .all()
        )
    assert actions == ["appeal.new", "appeal.translate", "appeal.target", "appeal.send", "appeal.acted",
                       "appeal.update", "appeal.followup", "appeal.retract"]  # fmt: skip


async def test_two_person_rule(app: App) -> None:
    await setup_network(app)
    sam, amina = chat(app, "sam"), chat(app, "amina")
    assert await sam.say("/settings two-person on") == ["two-person: on."]
    await draft(app, sam)
    assert await sam.say("/appeal send UA-2026-001") == [
        "UA-2026-001 waits for a second secretariat member: APPEAL approve UA-2026-001."
    ]
    assert await deliveries(app) == []
    assert await sam.say("/appeal approve UA-2026-001") == [
        "Another secretariat member must approve what you wrote."
    ]
    [approved] = await amina.say("/appeal approve UA-2026-001")
    assert "UA-2026-001" in approved
    assert len(await deliveries(app)) == 4  # all: two channels and two subscribers
    async with app.sessions() as session:
        appeal = (await session.execute(select(Appeal))).scalar_one()
    assert appeal.approved_by is not None and appeal.status == "sent"


async def test_bad_input_and_roles(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    assert await sam.say("/appeal send UA-2026-999") == ["No appeal has the reference UA-2026-999."]
    await draft(app, sam)
    assert await sam.say("/appeal target UA-2026-001 planet:mars") == [
        "Unknown target. Use all, region:…, group:… or language:…."
    ]
    await sam.say("/appeal new")
    await sam.say("t")
    await sam.say("w")
    await sam.say("d")
    assert await sam.say("next tuesday") == [
        "I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."
    ]
    for who in ("lucia", "rafael"):
        for command in ("/appeal new", "/appeal send UA-2026-001", "/settings two-person off", "/channels"):
            [refusal] = await chat(app, who).say(command)
            assert refusal.startswith(
                ("Lo siento, esto no está disponible", "Desculpe, isto não está disponível")
            )
    assert await chat(app, "joseph").say("/unsubscribe") == [
        "You will no longer receive urgent appeals here."
    ]
    assert await chat(app, "joseph").say("/unsubscribe") == ["You were not subscribed."]
    async with app.sessions() as session:
        kinds = sorted(c.kind.value for c in (await session.execute(select(Channel))).scalars().all())
    assert kinds == ["member", "member", "triage"]
