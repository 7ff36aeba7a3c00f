"""Abuse and bad input in threat reports, on SQLite and PostgreSQL: the hourly limit, bursts folded into one
alert, a newcomer's simultaneous first messages, the country chosen from a list in five languages, long and
control-character answers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.config import ConfigError, load_settings
from bot.core.events import Actor, ChatRef, TextEvent
from storage.edits import edit_payload
from storage.models import Case, Delivery, Identity, Person
from tests.conftest import make_settings
from tests.support import chat, people


def year() -> int:
    return datetime.now(UTC).year


async def file_report(app: App, who: str, hint: str = "en", country: str = "Honduras") -> list[str]:
    person = chat(app, who, hint=hint)
    await person.say("/report")
    await person.press(1)
    await person.say("-")
    await person.say(country)
    await person.say("Tegucigalpa")
    await person.press(1)
    await person.say("Threats at the office")
    await person.say("Today")
    await person.press(1)
    await person.press_button(
        next(b for row in person.last_buttons for b in row if b.payload.endswith("_done"))
    )
    await person.press_button(
        next(b for row in person.last_buttons for b in row if b.payload.endswith("_chat"))
    )
    await person.press(1)
    await person.press(2)
    return await person.press_button(
        next(b for row in person.last_buttons for b in row if b.action == "report-send")
    )


def test_the_hourly_limit_is_configured_by_one_variable() -> None:
    assert load_settings({"SOS_REPORTS_PER_HOUR": "5"}, dotenv=None).reports_per_hour == 5
    assert load_settings({}, dotenv=None).reports_per_hour == 3
    with pytest.raises(ConfigError, match=r"^SOS_REPORTS_PER_HOUR: 'many' must be a positive number"):
        load_settings({"SOS_REPORTS_PER_HOUR": "many"}, dotenv=None)


async def test_a_person_files_at_most_the_hourly_limit(database_url: str) -> None:
    app = build_app(make_settings(database_url, reports_per_hour=2))
    try:
        for _ in range(2):
            [stored] = await file_report(app, "flooder", hint="es")
            assert stored.startswith(f"Su denuncia quedó guardada como SOS-{year()}-") or "SOS-" in stored
        assert await chat(app, "flooder", hint="es").say("/report") == [
            "Ha enviado 2 denuncias en la última hora, el máximo que puedo recibir. Espere un poco antes de "
            "denunciar de nuevo; para añadir algo a una denuncia, escriba MISCASOS. Si está en peligro inmediato, "
            "contacte primero con personas cercanas."
        ]
        [arabic] = await chat(app, "flooder", hint="ar").say("/report")
        assert arabic.startswith("أرسلت بلاغين في الساعة الأخيرة")
        assert (await file_report(app, "someone-else"))[0].startswith("Your report is stored as")
        async with app.sessions() as session:
            assert (await session.execute(select(func.count(Case.id)))).scalar_one() == 3
    finally:
        await app.close()


async def test_a_burst_of_reports_makes_one_alert_listing_every_reference(database_url: str) -> None:
    app = build_app(make_settings(database_url))
    try:
        await people(app)
        await chat(app, "sam").say("/help")  # Sam (secretariat, English) gets alerts in his private chat
        for who in ("p1", "p2", "p3"):
            await file_report(app, who)
        async with app.sessions() as session:
            rows = (
                (await session.execute(select(Delivery).where(Delivery.subject.like("case:%:alert"))))
                .scalars()
                .all()
            )
            # The newest edit is what lands (under load the three reports may straddle two 10-second windows);
            # it delivers its coalescing window's newest text.
            edit = max(
                (r for r in rows if r.operation == "edit" and r.language == "en"), key=lambda r: r.revision
            )
            lands = json.loads(await edit_payload(session, edit))
        sends = [r for r in rows if r.operation == "send"]
        assert {r.subject for r in sends} == {"case:1:alert"}  # one alert per secretariat chat, not three
        text = lands["text"]
        assert text.splitlines() == [
            "3 new threat reports within minutes:",
            f"SOS-{year()}-0001: Honduras, Detention, Immediate danger",
            f"SOS-{year()}-0002: Honduras, Detention, Immediate danger",
            f"SOS-{year()}-0003: Honduras, Detention, Immediate danger",
        ]
        assert [label for row in lands["buttons"] for label, _action, _payload in row] == [
            f"Open SOS-{year()}-000{n}" for n in (1, 2, 3)
        ]
    finally:
        await app.close()


async def test_a_newcomers_first_messages_arriving_together_are_all_answered(any_app: App) -> None:
    actor = Actor("telegram", "777", "", "Nadia", "fr")
    chat_ref = ChatRef("telegram", "777")
    events = [TextEvent(f"tg:first-{i}", actor, chat_ref, text="/help", message_id=str(i)) for i in range(4)]
    outcomes = await asyncio.gather(*(any_app.dispatcher.handle(e) for e in events))
    texts = [item.text for outcome in outcomes for item in outcome.outgoing]  # type: ignore[union-attr]
    assert len(texts) == 4 and not any(t.startswith(("Sorry, something went wrong", "Désolé")) for t in texts)
    async with any_app.sessions() as session:
        assert (await session.execute(select(func.count(Person.id)))).scalar_one() == 1
        assert (await session.execute(select(func.count(Identity.id)))).scalar_one() == 1


async def test_the_country_is_chosen_from_a_list_in_five_languages(any_app: App) -> None:
    await people(any_app)
    awa = chat(any_app, "fatou", hint="fr")
    await awa.say("/report")
    await awa.press(1)
    await awa.say("-")
    assert await awa.say("x" * 3000) == [
        "Votre réponse est trop longue\u202f: écrivez-la en 100 caractères au plus (elle en compte 3\u202f000)."
    ]
    assert await awa.say("Atlantis") == [
        "Je ne connais pas de pays appelé «\u202fAtlantis\u202f». Veuillez écrire son nom en anglais, espagnol, "
        "français, arabe ou portugais, ou une partie de ce nom."
    ]
    assert await awa.say("congo") == ["De quel pays s’agit-il\u202f?"]
    assert [b.label for row in awa.last_buttons for b in row] == ["Congo-Brazzaville", "Congo-Kinshasa"]
    [place] = await awa.press("Congo-Kinshasa")
    assert place.replace("\u202f", " ") == "Où exactement (ville, région) ?"
    karim = chat(any_app, "karim-x", hint="ar")
    await karim.say("/report")
    await karim.press(1)
    await karim.say("-")
    assert len(await karim.say("بيرو")) == 1  # Arabic for Peru
    async with any_app.sessions() as session:
        data = [c.data.get("country") for c in (await session.execute(select(__import__("storage.models").models.Conversation))).scalars()]  # fmt: skip
    assert sorted(data) == ["CD", "PE"]


async def test_control_characters_are_removed_and_the_report_is_sent_on_every_store(any_app: App) -> None:
    person = chat(any_app, "nul-sender", hint="pt")
    await person.say("/report")
    await person.press(1)
    await person.say("-")
    await person.say("Bra\x00sil")
    await person.say("Alta\x00mira\x1b[31m, Pará")
    await person.press(1)
    assert await person.say("a" * 3001) == [
        "Sua resposta é longa demais: escreva no máximo 3.000 caracteres (ela tem 3.001)."
    ]
    await person.say("Ameaças\x00 na rádio")
    await person.say("Ontem")
    await person.press(1)
    await person.press_button(
        next(b for row in person.last_buttons for b in row if b.payload.endswith("_done"))
    )
    await person.press_button(
        next(b for row in person.last_buttons for b in row if b.payload.endswith("_chat"))
    )
    await person.press(1)
    [summary] = await person.press(2)
    assert "País e local: Brasil, Altamira[31m, Pará" in summary
    [stored] = await person.press_button(
        next(b for row in person.last_buttons for b in row if b.action == "report-send")
    )
    assert f"SOS-{year()}-0001" in stored
    async with any_app.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert (case.country, case.place, case.what_happened) == ("BR", "Altamira[31m, Pará", "Ameaças na rádio")
