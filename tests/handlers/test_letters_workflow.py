"""The secretariat's letter workflow in dialogs (en, es, ar): what is missing before publishing, the preview
in every language and the Publish button, changes until closing (told only to the signers they affect),
deadlines read as appeals' are, the two-person rule, who signed, reminders within the target, and the
export reaching a console person as files in a folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.core.codec import to_message
from storage.models import Delivery, Letter
from tests.handlers.test_appeals import setup_network
from tests.handlers.test_letters import FUTURE, REF, SIGN, YEAR, publish
from tests.support import chat

RLI = "\u2068{}\u2069"  # how an Arabic answer isolates a value


async def rows(app: App, subject: str) -> list[Delivery]:
    async with app.sessions() as session:
        query = select(Delivery).where(Delivery.subject == subject).order_by(Delivery.id)
        return list((await session.execute(query)).scalars().all())


async def blank_letter(app: App, sam: ConsoleChat) -> None:
    """Sam drafts a letter whose addressee and text are not decided yet."""
    assert await sam.say("/letter new") == [
        "New collective letter. To whom is it addressed? (- if not decided yet, or CANCEL)"
    ]
    assert await sam.say("-") == ["The text of the letter? (- to write it later)"]
    await sam.say("-")
    await sam.say("-")
    assert await sam.press("Organisations") == [
        f"{REF} saved. Next: LETTER translate, target, preview, then publish."
    ]


async def test_publishing_needs_an_addressee_and_a_text(app: App) -> None:
    await setup_network(app)
    sam, amina = chat(app, "sam"), chat(app, "amina")
    await blank_letter(app, sam)
    assert await sam.say(f"/letter publish {REF}") == [
        f"{REF} cannot be published yet: it has no addressee and no text. Add them with LETTER edit {REF} "
        f"addressee … and LETTER edit {REF} text …."
    ]
    [arabic] = await amina.say(f"/letter publish {REF}")
    assert arabic.startswith("لا يمكن نشر " + RLI.format(REF) + " بعد: ليس لها مرسَل إليه ولا نص.")
    assert await sam.say(f"/letter edit {REF} addressee Attorney General of Guatemala") == [
        f"{REF}: the addressee is now Attorney General of Guatemala."
    ]
    assert await sam.say("/grant 3 secretariat") == ["#3 is now: secretariat (was: member)."]  # Lucía
    assert await chat(app, "lucia").say(f"/letter publish {REF}") == [
        f"{REF} todavía no se puede publicar: no tiene texto. Añádalo con CARTA editar {REF} texto …."
    ]
    assert await sam.say(f"/letter edit {REF} text We call for the release of Ana López.") == [
        f"{REF} saved (English)."
    ]
    *_, confirm = await sam.say(f"/letter publish {REF}")
    assert confirm == f"Publish {REF} as shown above?"
    assert await rows(app, "letter:1") == []  # nothing goes out before the button


async def test_preview_in_every_language_then_publish_with_the_button(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await sam.say("/letter new")
    await sam.say("Attorney General of Guatemala")
    await sam.say("We call for the release of Ana López.")
    await sam.say(FUTURE)
    await sam.press("Organisations")
    await sam.say(f"/letter translate {REF} es Pedimos la liberación de Ana López.")
    summary, *languages, confirm = await sam.say(f"/letter publish {REF}")
    assert summary.split("\n") == [
        f"{REF} goes to 4 targets (everyone).",
        "2 of them will read it in a fallback language.",
        "• Arabic: 1 target will read the English text (no Arabic text yet).",
        "• English: 1 target reads its own text.",
        "• Spanish: 1 target reads its own text.",
        "• French: 1 target will read the English text (no French text yet).",
    ]
    assert [text.split("\n")[:2] for text in languages] == [
        ["— as Arabic readers see it —", "✍️ رسالة جماعية " + RLI.format(REF)],
        ["— as English readers see it —", f"✍️ Collective letter {REF}"],
        ["— as Spanish readers see it —", f"✍️ Carta colectiva {REF}"],
        ["— as French readers see it —", f"✍️ Lettre collective {REF}"],
    ]
    assert "Pedimos la liberación de Ana López." in languages[2]
    assert "We call for the release of Ana López." in languages[3]  # French readers fall back to English
    assert confirm == f"Publish {REF} as shown above?"
    assert await rows(app, "letter:1") == []
    assert await sam.press("Publish") == [f"{REF} goes to 4 targets."]
    assert sorted(r.chat_id for r in await rows(app, "letter:1")) == [
        "dm-joseph", "dm-karim", "g-africa", "g-americas"
    ]  # fmt: skip
    assert await sam.press("Publish") == [f"{REF} was already published."]  # a second press sends nothing
    assert len(await rows(app, "letter:1")) == 4


async def test_arabic_secretariat_previews_and_publishes(app: App) -> None:
    await setup_network(app)
    await blank_letter(app, chat(app, "sam"))
    amina = chat(app, "amina")
    await amina.say(f"/letter edit {REF} addressee النائب العام")
    await amina.say(f"/letter edit {REF} text ar نطالب بالإفراج عن آنا لوبيز.")
    *_, confirm = await amina.say(f"/letter publish {REF}")
    assert confirm == "هل تنشر " + RLI.format(REF) + " كما يظهر أعلاه؟"
    [published] = await amina.press("نشر")
    assert RLI.format(REF) in published
    assert len(await rows(app, "letter:1")) == 4


async def test_deadlines_are_read_like_appeals_and_must_come(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await sam.say("/letter new")
    await sam.say("Attorney General of Guatemala")
    await sam.say("We call for the release of Ana López.")
    assert await sam.say(f"{YEAR - 1}-01-01") == ["That date has passed. Type a date to come, or - for none."]
    assert await sam.say("next tuesday") == [
        "I could not read that date. Use YYYY-MM-DD or YYYY-MM-DD HH:MM, or - for none."
    ]
    [who] = await sam.say(f"{YEAR + 1}/3/5 18h")  # the appeal flow's lenient format
    assert who == "Who signs?"
    await sam.press("Organisations")
    async with app.sessions() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    assert (letter.deadline.year, letter.deadline.month, letter.deadline.day) == (YEAR + 1, 3, 5)
    assert await sam.say(f"/letter edit {REF} deadline {YEAR - 1}-06-01") == [
        "That date has passed. Type a date to come, or - for none."
    ]
    [moved] = await sam.say(f"/letter edit {REF} deadline {YEAR + 2}-01-31")
    assert moved.startswith(f"{REF}: signing closes on January 31, {YEAR + 2}")
    assert await sam.say(f"/letter edit {REF} deadline -") == [f"{REF} has no deadline now."]
    [spanish] = await chat(app, "amina").say(f"/letter edit {REF} deadline {YEAR + 2}-02-01")
    assert "يُغلق التوقيع في" in spanish


async def test_changes_after_publication_tell_only_the_signers_they_affect(app: App) -> None:
    await publish(app)  # en text, es translation; published to everyone
    lucia, joseph, sam = chat(app, "lucia"), chat(app, "joseph"), chat(app, "sam")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    await joseph.press_button(SIGN)
    await joseph.press("Sign for Green Advocates")
    # A new Arabic text changes nothing that Lucía (es) or Joseph (en) read: nobody is told.
    assert await sam.say(f"/letter translate {REF} ar نحن المنظمات الأعضاء نطالب بالإفراج عن آنا لوبيز.") == [
        f"{REF} saved (Arabic)."
    ]
    assert await rows(app, "letter:1:changed") == []
    # The Spanish text changes: only Lucía is told.
    assert await sam.say(f"/letter edit {REF} text es Pedimos la liberación inmediata de Ana López.") == [
        f"{REF} saved (Spanish).",
        "1 signer was told what changed.",
    ]
    [told] = await rows(app, "letter:1:changed")
    assert told.chat_id == "dm-lucia"
    # The addressee changes for everyone: both are told, each in their language.
    assert await sam.say(f"/letter edit {REF} addressee Fiscal General de Guatemala") == [
        f"{REF}: the addressee is now Fiscal General de Guatemala.",
        "2 signers were told what changed.",
    ]
    notices = [r for r in await rows(app, "letter:1:changed") if r.revision == 2]
    assert sorted(r.chat_id for r in notices) == ["dm-joseph", "dm-lucia"]
    english = to_message(next(r for r in notices if r.chat_id == "dm-joseph")).text
    assert english.startswith(f"The collective letter {REF} that you signed has changed.")
    assert "To: Fiscal General de Guatemala" in english


async def test_two_person_rule_applies_to_publishing(app: App) -> None:
    await setup_network(app)
    sam, amina = chat(app, "sam"), chat(app, "amina")
    await sam.say("/settings two-person on")
    await blank_letter(app, sam)
    await sam.say(f"/letter edit {REF} addressee Attorney General of Guatemala")
    await sam.say(f"/letter edit {REF} text We call for the release of Ana López.")
    await sam.say(f"/letter publish {REF}")
    assert await sam.press("Publish") == [
        f"{REF} waits for a second secretariat member: LETTER approve {REF}."
    ]
    assert await rows(app, "letter:1") == []
    [request] = await rows(app, "letter:1:approval")
    asked = to_message(request)
    assert request.chat_id == "g-triage" and asked.text == (
        f"Sam (secretariat) asks a second secretariat member to approve the collective letter {REF} "
        "(to Attorney General of Guatemala). Preview it, then approve it to publish it."
    )
    assert await sam.say(f"/letter approve {REF}") == [
        "Another secretariat member must approve what you wrote."
    ]
    preview = await amina.press_button(asked.buttons[0][0])
    assert len(preview) == 5 and RLI.format(REF) in preview[0]
    [published] = await amina.press_button(asked.buttons[0][1])
    assert RLI.format(REF) in published
    assert len(await rows(app, "letter:1")) == 4
    [told] = await rows(app, "letter:1:approved")
    assert told.chat_id == "dm-sam" and to_message(told).text == (
        f"{REF} was approved and goes to 4 targets."
    )


async def test_status_lists_the_signatories(app: App) -> None:
    await publish(app)
    lucia, awa = chat(app, "lucia"), chat(app, "awa")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    await awa.press_button(SIGN)
    await awa.press("Signer et afficher mon nom")
    [english] = await chat(app, "sam").say(f"/letter status {REF}")
    lines = english.split("\n")
    assert lines[0] == f"{REF} (open for signature): 2 signatures."
    assert lines[1].startswith("• ProDESC (Mexico), ") and "Lucía" not in lines[1]  # no consent to the name
    assert lines[2].startswith("• Comité des femmes rurales (Senegal), ") and lines[2].endswith(" — Awa Diop")
    [arabic] = await chat(app, "amina").say(f"/letter status {REF}")
    assert RLI.format("المكسيك") in arabic and RLI.format("السنغال") in arabic
    assert RLI.format("مفتوحة للتوقيع") in arabic
    await chat(app, "sam").say("/grant 3 secretariat")
    [spanish] = await lucia.say(f"/letter status {REF}")
    assert spanish.split("\n")[0] == f"{REF} (abierta a firmas): 2 firmas."
    assert "• ProDESC (México), " in spanish


async def test_remind_stays_within_the_target(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await sam.say("/letter new")
    await sam.say("Attorney General of Liberia")
    await sam.say("We call for the release of the defenders.")
    await sam.say("-")
    await sam.press("Organisations")
    assert await sam.say(f"/letter target {REF} region:africa") == [f"{REF} will go to: Africa."]
    await sam.say(f"/letter publish {REF}")
    await sam.press("Publish")
    assert await sam.say(f"/letter remind {REF}") == ["2 reminders queued."]
    reminders = await rows(app, "letter:1:remind")
    assert sorted(r.chat_id for r in reminders) == ["dm-awa", "dm-joseph"]  # not Lucía (Americas)
    french = to_message(next(r for r in reminders if r.chat_id == "dm-awa"))
    assert french.text.startswith("Rappel")
    assert [b.label for b in french.buttons[0]] == ["Signer"]


async def test_export_reaches_a_console_person_as_files_in_a_folder(app: App, tmp_path: Path) -> None:
    await publish(app)
    sam = chat(app, "sam")
    sam.files_dir = tmp_path / "files"
    await sam.say(f"/letter export {REF} es")
    csv_line, html_line = (line.text for line in sam.transcript[-3:-1])
    assert (
        csv_line
        == f"(file saved as {tmp_path / 'files' / (REF + '.csv')}, {len(sam.files[REF + '.csv'])} bytes)"
    )
    assert html_line.startswith(f"(file saved as {tmp_path / 'files' / (REF + '.html')}, ")
    assert (tmp_path / "files" / f"{REF}.csv").read_bytes() == sam.files[REF + ".csv"]
    assert '<html lang="es" dir="ltr">' in (tmp_path / "files" / f"{REF}.html").read_text()
