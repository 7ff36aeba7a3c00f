"""Appeals: drafting details (language, lenient deadlines, links), bad input, wrong roles, stale buttons,
and where appeal commands may be typed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.codec import to_message
from bot.core.events import Button
from handlers.appeal_draft import parse_deadline
from storage.models import Appeal, AppealText, Delivery
from tests.clock import FUTURE, PAST, YEAR
from tests.handlers.test_appeals import REF, SAVED, deliveries, draft, in_group, send, setup_network
from tests.support import chat, people

REFUSALS = ("Lo siento, esto no está disponible", "Desculpe, isto não está disponível")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (f"{FUTURE}-12-01", datetime(FUTURE, 12, 1, 23, 59)),
        (f"{FUTURE}/12/1 18:30", datetime(FUTURE, 12, 1, 18, 30)),
        (f"{FUTURE}-12-01T08:05", datetime(FUTURE, 12, 1, 8, 5)),
        (f"{FUTURE}.12.01 18h", datetime(FUTURE, 12, 1, 18, 0)),
        (f"{FUTURE}-12-01 18h30", datetime(FUTURE, 12, 1, 18, 30)),
        ("-", None),
        ("none", None),
        ("None", None),
    ],
)
def test_deadlines_are_read_leniently_in_the_authors_timezone(typed: str, expected: datetime | None) -> None:
    zone = ZoneInfo("America/Mexico_City")
    assert parse_deadline(typed, "America/Mexico_City") == (expected and expected.replace(tzinfo=zone))


@pytest.mark.parametrize(
    "typed",
    ["next tuesday", f"{FUTURE}-13-01", f"{FUTURE}-02-30", f"01/12/{FUTURE}", f"{FUTURE}-12-01 25:00"],
)
def test_what_is_not_a_date_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_deadline(typed, None)


async def test_drafting_in_arabic_with_a_language_chosen_by_button(app: App) -> None:
    await people(app)
    amina = chat(app, "amina")
    [question] = await amina.say("/appeal new")
    assert question != "New urgent appeal. Title? (or CANCEL)"  # Amina reads Arabic
    labels = [b.label for b in amina.last_buttons[0]]
    assert labels == ["English", "Español", "Français", "✓ العربية", "Português"]
    [again] = await amina.press("Français")
    assert "الفرنسية" in again and [b.label for b in amina.last_buttons[0]][2] == "✓ Français"
    for answer in ("Défenseure détenue", "Ana López a été détenue.", "Écrivez au procureur."):
        await amina.say(answer)
    [saved] = await amina.press(1)  # the "No deadline" button
    assert f"\u2068{REF}\u2069" in saved and "\u2068الفرنسية\u2069" in saved
    async with app.sessions() as session:
        text = (await session.execute(select(AppealText))).scalar_one()
        appeal = (await session.execute(select(Appeal))).scalar_one()
    assert (text.language, text.title, appeal.deadline, appeal.created_by) == (
        "fr",
        "Défenseure détenue",
        None,
        1,
    )
    # The flow is over: its language buttons are stale now and change nothing.
    assert len(await amina.press_button(Button("English", "f.appeal", "0000:lang:en"))) == 2
    async with app.sessions() as session:
        assert (await session.execute(select(AppealText.language))).scalars().all() == ["fr"]


async def test_language_given_with_the_command_and_links(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await sam.say("/appeal new es")
    assert [b.label for b in sam.last_buttons[0]][1] == "✓ Español"
    for answer in ("Defensora detenida", "Fue detenida.", "Escriban."):
        await sam.say(answer)
    assert await sam.say("none") == [
        f"{REF} saved (Spanish). Next: APPEAL translate, target, preview, then send."
    ]
    # Link a collective letter (shown to readers) through the button and the step.
    await sam.say("/letter new")
    for answer in ("Attorney General", "We call for the release of Ana López.", f"{FUTURE}-01-31 12:00"):
        await sam.say(answer)
    await sam.press("Organisations")
    await sam.press_button(Button("Link a case or letter", "appeal-link", "1"))
    assert await sam.say(f"SOS-{YEAR}-0099") == [f"No case or letter has the reference SOS-{YEAR}-0099."]
    assert await sam.say(f"cl-{YEAR}-001") == [f"{REF} is linked to CL-{YEAR}-001."]
    assert await sam.say(f"/appeal link {REF} CL-{YEAR}-404") == [
        f"No case or letter has the reference CL-{YEAR}-404."
    ]
    await sam.say(f"/appeal link {REF}")
    assert await sam.press("Done") == [f"{REF} is ready: APPEAL preview {REF}."]
    await send(sam)
    spanish = next(r for r in await deliveries(app) if r.chat_id == "g-americas")
    assert f"CL-{YEAR}-001" in to_message(spanish).text
    async with app.sessions() as session:
        appeal = (await session.execute(select(Appeal))).scalar_one()
    assert appeal.letter_id == 1 and appeal.case_id is None


async def test_bad_input(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    assert await sam.say(f"/appeal send UA-{YEAR}-999") == [f"No appeal has the reference UA-{YEAR}-999."]
    [usage] = await sam.say("/appeal")
    assert usage.startswith("Usage:\nAPPEAL new [language]\nAPPEAL list\n")
    assert await sam.say("/appeal new") == ["New urgent appeal. Title? (or CANCEL)"]
    assert await sam.say("x" * 201) == ["Please keep it under 200 characters (this has 201)."]
    await sam.say("t")
    await sam.say("w")
    await sam.say("d")
    assert await sam.say("next tuesday") == [
        "I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."
    ]
    assert await sam.say(f"{PAST}-01-01") == ["That date has passed. Type a date to come, or - for none."]
    assert await sam.say("-") == [SAVED]
    assert await sam.say(f"/appeal target {REF} planet:mars") == [
        "Unknown target. Type all, a region, a working group or a language."
    ]
    assert await sam.say(f"/appeal translate {REF} klingon") == [
        "Unknown language. Choose one of: English, Spanish, French, Arabic, Portuguese."
    ]
    assert await sam.say(f"/appeal update {REF} en") == [
        f"{REF} has not been sent: use APPEAL translate {REF} to change it."
    ]
    assert await sam.say(f"/appeal followup {REF} news") == [f"{REF} has not been sent."]
    assert await sam.say(f"/appeal retract {REF}") == [f"{REF} has not been sent."]
    summary, *_ = await sam.say(f"/appeal target {REF} language:pt")
    assert summary.startswith(f"{REF} goes to 0 targets (Portuguese readers).")
    assert await sam.say(f"/appeal send {REF}") == [
        f"Nobody matches the target Portuguese readers: {REF} was not sent."
    ]
    await sam.say(f"/appeal target {REF} group:women-escr")
    assert await send(sam) == [f"{REF} is on its way to 3 targets."]  # g-africa, Joseph, Karim
    assert await sam.say(f"/appeal send {REF}") == [f"{REF} was already sent."]
    assert await sam.say(f"/appeal target {REF} all") == [f"{REF} was already sent."]
    assert await sam.say(f"/appeal followup {REF}") == ["Usage: APPEAL followup REF text"]
    assert await sam.say("/appeal list") == [f"1 appeal:\n{REF} — t (sent)"]
    assert len(await deliveries(app)) == 3


async def test_stale_and_forged_buttons(app: App) -> None:
    await setup_network(app)
    sam, joseph = chat(app, "sam"), chat(app, "joseph")
    await draft(app, sam)
    await sam.say("/appeal new")
    assert await sam.press_button(Button("x", "f.appeal", "0000:none")) == [
        "This button has expired.",
        "This button is no longer valid: nothing was changed. Type HELP to start again.",
    ]
    await sam.say("/cancel")
    assert await joseph.press_button(Button("I acted", "acted", "999")) == ["This button has expired."]
    assert await joseph.press_button(Button("I acted", "acted", "1")) == ["This appeal is closed."]  # a draft
    assert await sam.press_button(Button("Refresh", "appeal-status", "abc")) == ["This button has expired."]
    assert await sam.press_button(Button("Preview", "appeal-preview", "42")) == ["This button has expired."]
    assert await sam.press_button(Button("Approve", "appeal-approve", "1")) == [
        f"{REF} is not waiting for approval."
    ]
    [refreshed] = await sam.press_button(Button("Refresh", "appeal-status", "1"))
    assert refreshed.startswith(f"{REF} (draft): 0 sent, 0 pending, 0 failed")


async def test_wrong_roles_are_refused_for_every_secretariat_command(app: App) -> None:
    await setup_network(app)
    await draft(app, chat(app, "sam"))
    commands = [f"/appeal {sub} {REF}" for sub in (
        "translate", "preview", "target", "send", "approve", "status", "update", "followup", "link", "retract",
        "close")] + ["/appeal new", "/appeal list", "/settings two-person off", "/channels"]  # fmt: skip
    buttons = [Button("x", action, "1") for action in ("appeal-status", "appeal-preview", "appeal-approve",
                                                         "appeal-link")]  # fmt: skip
    for who in ("lucia", "rafael"):
        person = chat(app, who)
        for command in commands:
            [refusal] = await person.say(command)
            assert refusal.startswith(REFUSALS), command
        for button in buttons:
            [refusal] = await person.press_button(button)
            assert refusal.startswith(REFUSALS), button.action
        [refusal] = await in_group(app, who, "g-americas").say("/channel triage")
        assert refusal.startswith(REFUSALS)
    async with app.sessions() as session:
        appeal = (await session.execute(select(Appeal))).scalar_one()
        assert appeal.status == "draft" and appeal.target == {}
        assert (await session.execute(select(Delivery))).scalars().all() == []


async def test_appeal_commands_only_in_private_or_the_triage_channel(app: App) -> None:
    await setup_network(app)
    await draft(app, chat(app, "sam"))
    assert await in_group(app, "sam", "g-americas").say(f"/appeal preview {REF}") == [
        "Appeals are managed only in a private chat or the triage channel."
    ]
    [status] = await in_group(app, "sam", "g-triage").say(f"/appeal status {REF}")
    assert status.startswith(f"{REF} (draft)")
    assert await in_group(app, "sam", "g-triage").say("/appeal new") == [
        "Please write to me in a private chat for this."
    ]


async def test_closed_while_the_text_was_being_typed(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await send(sam)
    await sam.say(f"/appeal update {REF} en todo")
    await chat(app, "amina").say(f"/appeal close {REF}")
    assert await sam.say("Stop writing.") == [f"{REF} is closed: it can no longer be changed."]
    edits = [r for r in await deliveries(app) if r.operation == "edit"]
    assert len(edits) == 4 and {r.revision for r in edits} == {2}  # the close's edits, no update
    assert not any(to_message(r).text.startswith("UPDATED") for r in edits)
