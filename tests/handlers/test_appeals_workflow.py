"""Appeals in dialogs (en, es, ar): the warning about fallback languages before sending, the default
language's text as the fallback, the two-person rule after sending (update, follow-up, retraction), the
retraction's confirmation, and a retracted appeal staying retracted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.core.codec import to_message
from storage.models import Appeal
from tests.conftest import make_settings
from tests.handlers.test_appeals import REF, deliveries, draft, mark_delivered, send, setup_network
from tests.support import chat

RLI = "\u2068{}\u2069"


async def status(app: App) -> str:
    async with app.sessions() as session:
        return str((await session.execute(select(Appeal.status))).scalar_one())


async def test_sending_warns_about_fallback_languages_and_asks_to_confirm(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    assert await sam.say(f"/appeal send {REF}") == [
        f"Warning: 3 targets of {REF} will not read it in their language:\n"
        "• Arabic: 1 target will read the English text (no Arabic text yet).\n"
        "• Spanish: 1 target will read the English text (no Spanish text yet).\n"
        "• French: 1 target will read the English text (no French text yet).\n"
        f"Add a translation with APPEAL translate {REF} language, or send it as it is."
    ]
    assert [b.label for b in sam.last_buttons[0]] == ["Send anyway"]
    assert await deliveries(app) == []  # nothing goes out before the button

    assert await sam.say("/grant 3 secretariat") == ["#3 is now: secretariat (was: member)."]  # Lucía
    [spanish] = await chat(app, "lucia").say(f"/appeal send {REF}")
    assert spanish.startswith(f"Atención: 3 destinos de {REF} no lo leerán en su idioma:")
    amina = chat(app, "amina")
    [arabic] = await amina.say(f"/appeal send {REF}")
    assert arabic.startswith("تنبيه: " + RLI.format(3) + " وجهات لـ" + RLI.format(REF))
    assert await deliveries(app) == []
    [sent] = await amina.press("الإرسال على أي حال")
    assert RLI.format(REF) in sent and len(await deliveries(app)) == 4


async def test_no_warning_when_everyone_reads_their_language(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await sam.say(f"/appeal target {REF} language:en")
    assert await sam.say(f"/appeal send {REF}") == [f"{REF} is on its way to 1 target."]


@pytest.fixture
async def spanish_network(sqlite_url: str) -> AsyncIterator[App]:
    """A network whose SOS_DEFAULT_LANGUAGE is Spanish."""
    bot = build_app(make_settings(sqlite_url, default_language="es"))
    yield bot
    await bot.close()


async def test_the_fallback_is_the_default_languages_text(spanish_network: App, tmp_path: Path) -> None:
    app = spanish_network
    await setup_network(app)
    amina = chat(app, "amina")
    await amina.say("/appeal new")  # written first in Arabic, then in Spanish
    await amina.say("اعتقال مدافعة في غواتيمالا")
    await amina.say("اعتُقلت آنا لوبيز.")
    await amina.say("اكتبوا إلى النائب العام.")
    await amina.say("-")
    await amina.say(f"/appeal translate {REF} es")
    await amina.say("Defensora detenida en Guatemala")
    await amina.say("Ana López fue detenida.")
    await amina.say("Escriban al Fiscal General.")
    [warning] = await amina.say(f"/appeal send {REF}")
    assert RLI.format("الإسبانية") in warning and RLI.format("العربية") not in warning.split("\n", 2)[1]
    await amina.press("الإرسال على أي حال")
    rows = {r.chat_id: to_message(r).text for r in await deliveries(app)}
    assert rows["g-africa"].split("\n")[:2] == [f"🚨 Appel urgent {REF}", "Defensora detenida en Guatemala"]
    assert rows["dm-joseph"].split("\n")[1] == "Defensora detenida en Guatemala"
    assert "اعتقال مدافعة في غواتيمالا" in rows["dm-karim"]  # Arabic readers keep their own text


async def test_two_person_rule_covers_update_followup_and_retraction(any_app: App) -> None:
    app = any_app  # on SQLite and PostgreSQL
    await setup_network(app)
    sam, amina = chat(app, "sam"), chat(app, "amina")
    await draft(app, sam)
    await sam.say(f"/appeal target {REF} language:en")
    await send(sam)
    await mark_delivered(app)
    assert await sam.say("/settings two-person on") == ["The two-person rule for urgent appeals is on."]

    # Update: written, held, approved by Amina.
    await sam.say(f"/appeal update {REF} en title")
    assert await sam.say("Ana López released on bail") == [
        f"The change to {REF} waits for a second secretariat member: APPEAL approve {REF}."
    ]
    [edit] = [r for r in await deliveries(app) if r.operation == "edit"]
    assert edit.status == "held" and await status(app) == "sent"
    [shown] = await sam.say(f"/appeal status {REF}")
    assert "Waiting for a second secretariat member to approve it." in shown
    [request] = await deliveries(app, "appeal:1:approval")
    asked = to_message(request)
    assert asked.text == (
        f"Sam (secretariat) asks a second secretariat member to approve an update of the urgent appeal {REF}. "
        "Preview it, then approve it to send it."
    )
    assert await sam.say(f"/appeal approve {REF}") == [
        "Another secretariat member must approve what you wrote."
    ]
    summary, english = await amina.press_button(asked.buttons[0][0])
    assert RLI.format(REF) in summary and english.split("\n")[1:3] == ["UPDATED", f"🚨 Urgent appeal {REF}"]
    [approved] = await amina.press_button(asked.buttons[0][1])
    assert approved.startswith("تمت الموافقة")
    [edit] = [r for r in await deliveries(app) if r.operation == "edit"]
    assert edit.status == "pending" and await status(app) == "updated"
    [told] = await deliveries(app, "appeal:1:approved")
    assert told.chat_id == "dm-sam" and to_message(told).text == (
        f"Your change to {REF} was approved: 1 message goes out."
    )

    # Follow-up: held until approved; a second one replaces the first.
    await sam.say(f"/appeal followup {REF} Hearing on Monday")
    assert await sam.say(f"/appeal followup {REF} Hearing moved to Tuesday") == [
        f"This replaces the change to {REF} that was waiting for approval.",
        f"The change to {REF} waits for a second secretariat member: APPEAL approve {REF}.",
    ]
    [followup] = await deliveries(app, "appeal:1:followup")
    assert followup.status == "held" and followup.revision == 1
    assert to_message(followup).text == f"Follow-up to {REF}: Hearing moved to Tuesday"
    await amina.say(f"/appeal approve {REF}")
    assert [r.status for r in await deliveries(app, "appeal:1:followup")] == ["pending"]

    # Retraction: confirmed, held, approved.
    [confirm] = await sam.say(f"/appeal retract {REF}")
    assert confirm.startswith(f"Retract {REF}? Its 1 copy will be replaced")
    await sam.press("Retract")
    assert await status(app) == "updated"
    assert [r.status for r in await deliveries(app) if r.operation == "edit" and r.revision == 3] == ["held"]
    await amina.say(f"/appeal approve {REF}")
    assert await status(app) == "retracted"
    assert [r.status for r in await deliveries(app) if r.operation == "edit" and r.revision == 3] == [
        "pending"
    ]


async def test_retract_asks_to_confirm_in_the_readers_language(app: App) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await send(sam)
    await sam.say("/grant 3 secretariat")
    [spanish] = await chat(app, "lucia").say(f"/appeal retract {REF}")
    assert spanish.startswith(f"¿Retirar {REF}? Sus 4 copias se reemplazarán")
    amina = chat(app, "amina")
    [arabic] = await amina.say(f"/appeal retract {REF}")
    assert arabic.startswith("هل تسحب " + RLI.format(REF))
    assert await status(app) == "sent"
    [done] = await amina.press("سحب")
    assert await status(app) == "retracted" and RLI.format(4) in done
    [closed] = await amina.say(f"/appeal close {REF}")
    assert closed == "سُحب " + RLI.format(REF) + ": ويبقى موسومًا بأنه مسحوب."
    assert await status(app) == "retracted"
