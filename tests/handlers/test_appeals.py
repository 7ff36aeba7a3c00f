"""Appeals in dialogs: drafting, translations, preview with fallbacks, targeting, sending (the outbox rows),
update, follow-up, retraction, close, "I acted" and status; the two-person rule.

English answers are asserted exactly; other languages by stored state and by the delivery rows' language.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.core.codec import to_message
from bot.core.events import ChatKind, ChatRef
from storage.models import Appeal, AuditEntry, Delivery
from storage.outbox import NORMAL, URGENT
from tests.clock import FUTURE, YEAR
from tests.support import chat, people

REF = f"UA-{YEAR}-001"
SAVED = f"{REF} saved (English). Next: APPEAL translate, target, preview, then send."


def in_group(app: App, who: str, chat_id: str) -> ConsoleChat:
    """``who`` typing in a group chat (console chats stand in for Telegram groups and Slack channels)."""
    person = chat(app, who)
    person.chat = ChatRef("console", chat_id, kind=ChatKind.GROUP, title=f"Group {chat_id}")
    return person


async def draft(app: App, sam: ConsoleChat, deadline: str = f"{FUTURE}-12-01 18:00") -> list[str]:
    """Sam drafts the sample appeal in English; returns the answer to the deadline."""
    assert await sam.say("/appeal new") == ["New urgent appeal. Title? (or CANCEL)"]
    assert await sam.say("Defender detained in Guatemala City") == ["What happened?"]
    assert await sam.say("Ana López was detained on 20 November after a community assembly.") == [
        "What should members do?"
    ]
    [question] = await sam.say("Write to the Attorney General and share the statement.")
    assert question.startswith("Deadline? Type a date as YYYY-MM-DD")
    return await sam.say(deadline)


async def setup_network(app: App) -> None:
    """Two member channels (es americas, fr africa), the triage channel, and two subscribers: Joseph
    (en, Africa only) and Karim (ar, everything; made a member first, as only members subscribe)."""
    await people(app)
    assert await in_group(app, "sam", "g-americas").say(
        "/channel member es americas corporate-accountability"
    ) == ["This chat is now a member channel (Spanish, Americas, Corporate Accountability)."]
    await in_group(app, "sam", "g-africa").say("/channel member fr africa women-escr")
    await in_group(app, "sam", "g-triage").say("/channel triage")
    assert await chat(app, "joseph").say("/subscribe africa") == [
        "You will receive urgent appeals for: Africa. Type UNSUBSCRIBE to stop."
    ]
    assert await chat(app, "sam").say("/grant 7 member") == ["#7 is now: member (was: defender)."]
    await chat(app, "karim").say("/subscribe")  # Arabic, everything


async def deliveries(app: App, subject: str | None = "appeal:1") -> list[Delivery]:
    """The outbox rows of one subject (the appeal's copies by default; None for every row)."""
    query = select(Delivery).order_by(Delivery.id)
    if subject is not None:
        query = query.where(Delivery.subject == subject)
    async with app.sessions() as session:
        return list((await session.execute(query)).scalars().all())


async def mark_delivered(app: App) -> None:
    """What the worker does once copies are out (tested with the emulators in tests/adapters)."""
    async with app.sessions() as session, session.begin():
        for row in (await session.execute(select(Delivery))).scalars().all():
            row.status, row.platform_message_id = "sent", f"m-{row.id}"


async def send(sam: ConsoleChat, reference: str = REF) -> list[str]:
    """``appeal send``, confirming with the button when the bot warns about fallback languages."""
    answers = await sam.say(f"/appeal send {reference}")
    if answers and answers[0].startswith("Warning:"):
        return await sam.press("Send anyway")
    return answers


async def test_whole_lifecycle_in_dialogs(any_app: App) -> None:
    app = any_app  # on SQLite and PostgreSQL
    await setup_network(app)
    sam = chat(app, "sam")
    assert await draft(app, sam) == [SAVED]
    assert [b.label for b in sam.last_buttons[0]] == ["Link a case or letter", "Preview"]
    assert await sam.say(f"/appeal translate {REF} es") == [f"{REF} in Spanish. Title? (or CANCEL)"]
    await sam.say("Defensora detenida en Ciudad de Guatemala")
    await sam.say("Ana López fue detenida el 20 de noviembre.")
    assert await sam.say("Escriban al Fiscal General.") == [
        f"{REF} saved (Spanish). Next: APPEAL translate, target, preview, then send."
    ]

    summary, *languages = await sam.say(f"/appeal target {REF} region:africa")
    assert summary == (
        f"{REF} goes to 3 targets (Africa).\n"
        "2 of them will read it in a fallback language.\n"
        "• Arabic: 1 target will read the English text (no Arabic text yet).\n"
        "• English: 1 target reads its own text.\n"
        "• French: 1 target will read the English text (no French text yet)."
    )
    assert [text.split("\n")[0] for text in languages] == [
        "— as Arabic readers see it —",
        "— as English readers see it —",
        "— as Spanish readers see it —",
        "— as French readers see it —",
    ]
    assert languages[2].split("\n")[1:3] == [
        f"🚨 Llamamiento urgente {REF}",
        "Defensora detenida en Ciudad de Guatemala",
    ]
    assert languages[3].split("\n")[1:3] == [f"🚨 Appel urgent {REF}", "Defender detained in Guatemala City"]

    [sent] = await send(sam)
    assert sent == f"{REF} is on its way to 3 targets."
    rows = await deliveries(app)
    assert sorted((r.chat_id, r.language) for r in rows) == [
        ("dm-joseph", "en"),
        ("dm-karim", "ar"),
        ("g-africa", "fr"),
    ]
    assert {(r.priority, r.subject, r.revision, r.operation) for r in rows} == {
        (URGENT, "appeal:1", 1, "send")
    }
    french = to_message(next(r for r in rows if r.language == "fr"))
    assert french.text.startswith(f"🚨 Appel urgent {REF}\nDefender detained in Guatemala City")  # fallback
    assert [b.label for b in french.buttons[0]] == ["J’ai agi"]
    arabic = to_message(next(r for r in rows if r.language == "ar"))
    assert arabic.rtl and f"\u2068{REF}\u2069" in arabic.text and "Defender detained" in arabic.text
    english = to_message(next(r for r in rows if r.language == "en")).text
    assert english == (
        f"🚨 Urgent appeal {REF}\nDefender detained in Guatemala City\n\n"
        "What happened: Ana López was detained on 20 November after a community assembly.\n"
        "What to do: Write to the Attorney General and share the statement.\n"
        # Sam typed 18:00 in New York; Joseph reads it in Monrovia's time, a channel in UTC, both named.
        f"Deadline: December 1, {FUTURE}, 11:00:00\u202fPM GMT"
    )
    assert f"Échéance\u202f: 1 décembre {FUTURE}, 23:00:00 TU" in french.text
    [status_message] = await deliveries(app, "appeal:1:status")  # Sam's live status, through the outbox
    assert status_message.chat_id == "dm-sam" and status_message.priority == NORMAL

    # Members act (once each, whichever copy), the secretariat sees it.
    joseph = chat(app, "joseph")
    button = french.buttons[0][0]
    assert await joseph.press_button(button) == ["Thank you! The secretariat sees that you acted."]
    assert await joseph.press_button(button) == ["Already counted. Thank you!"]
    [status] = await sam.say(f"/appeal status {REF}")
    assert status.split("\n") == [
        f"{REF} (sent): 0 sent, 3 pending, 0 failed",
        "Target: Africa. Texts: English, Spanish.",
        "• console: 0 sent, 3 pending, 0 failed",
        "• Arabic: 0 sent, 1 pending, 0 failed",
        "• English: 0 sent, 1 pending, 0 failed",
        "• French: 0 sent, 1 pending, 0 failed",
        "1 person said they acted.",
    ]

    await mark_delivered(app)
    assert await sam.say(f"/appeal update {REF} en") == [f"{REF} in English. Title? (or CANCEL)"]
    await sam.say("Defender detained in Guatemala City (released on bail)")
    await sam.say("Ana López was released on bail on 23 November.")
    assert await sam.say("Keep writing: the charges stand.") == ["3 copies will be updated."]
    edits = [r for r in await deliveries(app) if r.operation == "edit"]
    assert len(edits) == 3 and {(r.revision, r.priority) for r in edits} == {(2, URGENT)}
    english_edit = to_message(next(r for r in edits if r.language == "en"))
    assert english_edit.text.startswith(
        f"UPDATED\n🚨 Urgent appeal {REF}\nDefender detained in Guatemala City ("
    )
    assert english_edit.text.endswith(
        f"Deadline: December 1, {FUTURE}, 11:00:00\u202fPM GMT"
    )  # still Joseph's time
    assert [b.label for b in english_edit.buttons[0]] == ["I acted"]

    assert await sam.say(f"/appeal followup {REF} Hearing moved to 5 December") == [
        "The follow-up goes to 3 copies."
    ]
    followups = await deliveries(app, "appeal:1:followup")
    assert {to_message(r).reply_to for r in followups} == {f"m-{i}" for i in (1, 2, 3)}
    assert to_message(next(r for r in followups if r.language == "en")).text == (
        f"Follow-up to {REF}: Hearing moved to 5 December"
    )
    assert {(r.language, r.priority) for r in followups} == {("en", URGENT), ("fr", URGENT), ("ar", URGENT)}

    # One field, then the deadline.
    [question] = await sam.say(f"/appeal update {REF} en title")
    assert (
        question
        == f"{REF} in English. Title? (or CANCEL)\nNow: Defender detained in Guatemala City (released on bail)"
    )
    assert await sam.say("Ana López released on bail") == ["3 copies will be updated."]
    await sam.say(f"/appeal update {REF} deadline")
    assert await sam.say(f"{FUTURE}-12-05") == ["3 copies will be updated."]
    edits = [r for r in await deliveries(app) if r.operation == "edit" and r.revision == 4]
    assert to_message(next(r for r in edits if r.language == "en")).text.endswith(
        f"Deadline: December 6, {FUTURE}, 4:59:00\u202fAM GMT"  # the end of 5 December in New York
    )

    [confirm] = await sam.say(f"/appeal retract {REF}")
    assert confirm.startswith(f"Retract {REF}? Its 3 copies will be replaced")
    assert not [r for r in await deliveries(app) if r.revision == 5]  # nothing changes before the button
    assert await sam.press("Retract") == ["3 copies will show the retraction."]
    retractions = [r for r in await deliveries(app) if r.operation == "edit" and r.revision == 5]
    retracted_fr = to_message(next(r for r in retractions if r.language == "fr"))
    assert retracted_fr.text.startswith(f"Cet appel urgent ({REF}) a été retiré par le secrétariat.")
    assert retracted_fr.buttons == ()
    assert await joseph.press_button(button) == ["This appeal is closed."]
    assert await sam.say(f"/appeal followup {REF} More news") == [f"{REF} has not been sent."]
    assert await sam.say(f"/appeal close {REF}") == [f"{REF} was retracted: it stays marked as retracted."]
    [status] = await sam.say(f"/appeal status {REF}")
    assert status.split("\n")[0] == f"{REF} (retracted): 3 sent, 0 pending, 0 failed"
    assert "Edits of the copies: 0 sent, 12 pending, 0 failed" in status
    assert "Follow-ups: 0 sent, 3 pending, 0 failed" in status
    async with app.sessions() as session:
        actions = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.action.like("appeal.%"))))
            .scalars()
            .all()
        )
    assert actions == ["appeal.new", "appeal.translate", "appeal.target", "appeal.send", "appeal.acted",
                       "appeal.update", "appeal.followup", "appeal.update", "appeal.update", "appeal.retract",
                       "appeal.close"]  # fmt: skip
    async with app.sessions() as session:
        assert (await session.execute(select(Appeal.status))).scalar_one() == "retracted"


async def test_close_marks_every_copy_and_removes_the_button(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await sam.say(f"/appeal target {REF} language:fr")
    assert await send(sam) == [f"{REF} is on its way to 1 target."]
    await mark_delivered(app)
    assert await sam.say(f"/appeal close {REF}") == [f"{REF} is closed."]
    [edit] = [r for r in await deliveries(app) if r.operation == "edit"]
    assert edit.chat_id == "g-africa" and edit.language == "fr" and edit.revision == 2
    assert to_message(edit).buttons == () and f"UA-{YEAR}-001" in to_message(edit).text
    assert await sam.say(f"/appeal translate {REF} fr") == [f"{REF} is closed: it can no longer be changed."]


async def test_two_person_rule(any_app: App) -> None:
    app = any_app  # on SQLite and PostgreSQL
    await setup_network(app)
    sam, amina = chat(app, "sam"), chat(app, "amina")
    assert await sam.say("/settings two-person on") == ["The two-person rule for urgent appeals is on."]
    [notice] = await deliveries(app, "settings:two-person")  # the rest of the secretariat learns of it
    assert notice.chat_id == "g-triage" and to_message(notice).text == (
        "Sam (secretariat) turned the two-person rule for urgent appeals on."
    )
    await draft(app, sam)
    assert await send(sam) == [f"{REF} waits for a second secretariat member: APPEAL approve {REF}."]
    assert await deliveries(app) == []  # nothing queued before approval
    [request] = await deliveries(app, "appeal:1:approval")
    asked = to_message(request)
    assert request.chat_id == "g-triage" and asked.text == (
        f"Sam (secretariat) asks a second secretariat member to approve the urgent appeal {REF} "
        "(Defender detained in Guatemala City). Preview it, then approve it to send it."
    )
    assert [b.label for b in asked.buttons[0]] == ["Preview", "Approve and send"]
    assert await sam.say(f"/appeal approve {REF}") == [
        "Another secretariat member must approve what you wrote."
    ]
    assert await sam.press_button(asked.buttons[0][1]) == [
        "Another secretariat member must approve what you wrote."
    ]
    assert await send(sam) == [f"{REF} waits for a second secretariat member: APPEAL approve {REF}."]
    assert len(await deliveries(app, "appeal:1:approval")) == 1  # asked once
    [status] = await sam.say(f"/appeal status {REF}")
    assert status.split("\n")[:3] == [
        f"{REF} (awaiting approval): 0 sent, 0 pending, 0 failed",
        "Target: everyone. Texts: English.",
        "Waiting for a second secretariat member to approve it.",
    ]
    assert await deliveries(app) == []

    # Amina (Arabic) previews and approves from the request's buttons.
    preview = await amina.press_button(asked.buttons[0][0])
    assert len(preview) == 5 and f"\u2068{REF}\u2069" in preview[0]  # summary + ar, en, es, fr
    [approved, *_] = await amina.press_button(asked.buttons[0][1])
    assert f"\u2068{REF}\u2069" in approved
    rows = await deliveries(app)
    assert sorted(r.chat_id for r in rows) == ["dm-joseph", "dm-karim", "g-africa", "g-americas"]
    [told] = await deliveries(app, "appeal:1:approved")
    assert told.chat_id == "dm-sam" and to_message(told).text == (
        f"{REF} was approved and is on its way to 4 targets."
    )
    [amina_status] = await deliveries(app, "appeal:1:status")
    assert amina_status.chat_id == "dm-amina" and amina_status.language == "ar"
    await amina.say(f"/appeal approve {REF}")  # not waiting any more: nothing more goes out
    assert len(await deliveries(app)) == 4
    async with app.sessions() as session:
        appeal = (await session.execute(select(Appeal))).scalar_one()
    assert appeal.approved_by == 1 and appeal.created_by == 2 and appeal.status == "sent"


async def test_a_change_voids_the_request_for_approval(app: App) -> None:
    await setup_network(app)
    sam, amina = chat(app, "sam"), chat(app, "amina")
    await sam.say("/settings two-person on")
    await draft(app, sam)
    await send(sam)
    await sam.say(f"/appeal translate {REF} fr")
    await sam.say("Défenseure détenue")
    await sam.say("Ana López a été détenue.")
    assert await sam.say("Écrivez au procureur.") == [
        f"{REF} saved (French). Next: APPEAL translate, target, preview, then send.",
        f"This change cancels the request for approval: send {REF} again when it is ready.",
    ]
    await amina.say(f"/appeal approve {REF}")
    assert await deliveries(app) == []
    assert await sam.say("/settings two-person off") == ["The two-person rule for urgent appeals is off."]
    assert await send(sam) == [f"{REF} is on its way to 4 targets."]
    french = next(r for r in await deliveries(app) if r.chat_id == "g-africa")
    assert to_message(french).text.split("\n")[1] == "Défenseure détenue"


async def test_two_approvers_at_once_send_it_once(any_app: App) -> None:
    import asyncio

    from bot.core.events import ActionEvent, OutgoingMessage

    await setup_network(any_app)
    sam = chat(any_app, "sam")
    assert await sam.say("/grant 3 secretariat") == ["#3 is now: secretariat (was: member)."]  # Lucía
    assert await sam.say("/settings two-person on") == ["The two-person rule for urgent appeals is on."]
    await draft(any_app, sam)
    await send(sam)
    presses = []
    for who in (chat(any_app, "amina"), chat(any_app, "lucia")):
        assert who.chat is not None
        presses.append(
            ActionEvent(f"approve-{who.user_id}", who.actor, who.chat, action="appeal-approve", payload="1")
        )
    outcomes = await asyncio.gather(*(any_app.dispatcher.handle(event) for event in presses))
    # The first sends (its answer carries the Delivery status button); the other is told it was done
    # (PostgreSQL makes it wait on the appeal's row lock) or, on SQLite's single writer, gets the apology.
    senders = [o for o in outcomes if any(isinstance(i, OutgoingMessage) and i.buttons for i in o.outgoing)]
    assert len(senders) == 1
    assert len(await deliveries(any_app)) == 4  # one copy per target, whoever pressed first
    assert len(await deliveries(any_app, "appeal:1:status")) == 1
