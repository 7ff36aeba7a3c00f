"""Threat reports: the guided flow in several languages, back, cancel, panic, resume, the case, the triage
alert, the relay both ways, status notices, the role matrix, and data protection on disk and in logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.core.codec import to_erasure, to_message
from bot.core.events import Button, ChatKind, ChatRef
from storage.cases import purge_closed, reencrypt_all
from storage.crypto import Keyring, generate_key, install_keyring
from storage.models import AuditEntry, Case, CaseEvent, Conversation, Delivery, utcnow
from tests.clock import PAST, YEAR
from tests.conftest import make_settings
from tests.support import chat, people

WHAT = "Two armed men came to the radio station at night and threatened Rafael's family."
NAMES = "Rafael Souza and Joana Lima"
PLACE = "Altamira, Pará"
CONTACT = "+55 93 99999-0000 (Signal)"


def send_button(person: object) -> Button:
    return next(b for row in person.last_buttons for b in row if b.action == "report-send")  # type: ignore[attr-defined]


async def erased(app: App) -> list[str]:
    """The message ids the outbox was asked to delete (the person's own, in their chat)."""
    async with app.sessions() as session:
        rows = (await session.execute(select(Delivery).where(Delivery.operation == "erase"))).scalars().all()
    return [i for row in rows for i in to_erasure(row)[1]]


async def full_report(app: App, who: str = "rafael") -> object:
    person = chat(app, who)
    await person.say("/report")
    await person.press(2)  # another person
    await person.say(NAMES)
    await person.say("Brazil")
    await person.say(PLACE)
    await person.press(3)  # physical attack or threat
    await person.say(WHAT)
    await person.say("Last night")
    await person.press(1)  # immediate danger
    await person.press(3)  # protection
    await person.press(4)  # legal support
    done = next(b for row in person.last_buttons for b in row if b.payload.endswith(":_done"))
    await person.press_button(done)
    await person.say(CONTACT)
    await person.press(1)  # secretariat only
    await person.press(2)  # names may not be published
    return person


async def test_report_in_english_creates_a_case_and_alerts_without_details(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await people(app)
    await chat(app, "sam").say("/help")  # Sam has a private chat with the bot: alerts reach him there
    reporter = await full_report(app, "rafael")
    summary = reporter.transcript[-1].text  # type: ignore[attr-defined]
    assert summary.startswith(
        "Confira sua denúncia, por favor.\nEm risco: Outra pessoa\nNomes: Rafael Souza and Joana Lima"
    )
    assert "Apoio pedido: Proteção (segurança física, realocação temporária), Apoio jurídico" in summary
    [stored] = await reporter.press_button(send_button(reporter))  # type: ignore[attr-defined]
    assert f"SOS-{YEAR}-0001" in stored
    async with app.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
        alerts = (
            (await session.execute(select(Delivery).where(Delivery.subject.like("case:%")))).scalars().all()
        )
    assert (case.what_happened, case.place, case.contact) == (WHAT, PLACE, CONTACT)
    assert (
        case.threat_type == "attack"
        and case.urgency == "immediate"
        and case.support_requested == ["protection", "legal"]
    )
    assert case.at_risk == f"person — {NAMES}" and case.country == "BR" and not case.names_publishable
    texts = [to_message(a).text for a in alerts]
    assert texts and all(t.startswith((f"New threat report SOS-{YEAR}-0001: Brazil, Physical attack or threat, Immediate danger.",
                                       "بلاغ تهديد جديد")) for t in texts)  # fmt: skip
    for secret in (WHAT, "Rafael", PLACE, CONTACT):
        assert all(secret not in t for t in texts)
        assert secret not in caplog.text
    assert len(await erased(app)) == 6  # every typed answer, once stored, through the outbox
    assert await chat(app, "sam").say("/settings delete-reports off") == [
        "Report messages will stay in the chat once stored."
    ]
    second = await full_report(app, "karim")
    await second.press_button(send_button(second))  # type: ignore[attr-defined]
    assert len(await erased(app)) == 6  # the secretariat chose to keep typed answers: none more


async def test_back_cancel_and_panic(app: App) -> None:
    person = chat(app, "karim-new", hint="ar")
    await person.say("/report")
    await person.press(1)
    await person.say("-")
    [question] = await person.say("BACK")
    assert question == "أسماء الأشخاص المعرضين للخطر إن شئت (أو - للتخطي)."
    await person.say("-")
    await person.say("Lebanon")
    async with app.sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.step == "place" and conversation.data["country"] == "LB"
    assert await person.say("امسح") == ["تم."]  # the panic word wipes it at once
    async with app.sessions() as session:
        assert (await session.execute(select(Conversation))).scalars().all() == []
    await person.say("/report")
    assert await person.say("CANCEL") == ["تم الإلغاء. لم يُحفظ أي شيء."]


async def test_a_report_resumes_after_a_restart(any_app: App) -> None:
    person = chat(any_app, "ines", hint="es")
    await person.say("/report")
    await person.press(1)
    await person.say("-")
    await person.say("Guatemala")
    await any_app.close()
    restarted = build_app(make_settings(any_app.settings.database_url))
    try:
        [question] = await chat(restarted, "ines", hint="es").say(PLACE)
        assert question == "¿Qué tipo de amenaza?"
    finally:
        await restarted.close()


async def test_reporting_from_a_group_is_moved_to_private(app: App) -> None:
    person = chat(app, "ines")
    person.chat = ChatRef("console", "g-1", kind=ChatKind.GROUP)
    assert await person.say("/report") == ["Please write to me in a private chat for this."]


async def test_secretariat_triage_and_relay_both_ways(app: App) -> None:
    await people(app)
    reporter = await full_report(app, "rafael")
    await reporter.press_button(send_button(reporter))  # type: ignore[attr-defined]
    sam = chat(app, "sam")
    [listing] = await sam.say("/cases urgent")
    assert f"SOS-{YEAR}-0001 — Brazil, Physical attack or threat, Immediate danger (new)" in listing
    [full] = await sam.say(f"/case SOS-{YEAR}-0001")
    assert WHAT in full and CONTACT in full
    assert await sam.say(f"/status SOS-{YEAR}-0001 verified") == [f"SOS-{YEAR}-0001 is now: verified."]
    assert await sam.say(f"/reply SOS-{YEAR}-0001 Are you safe tonight?") == [
        f"Sent to the reporter of SOS-{YEAR}-0001."
    ]
    assert await sam.say(f"/note SOS-{YEAR}-0001 Called partner org") == [f"Note added to SOS-{YEAR}-0001."]
    async with app.sessions() as session:
        to_reporter = (
            (await session.execute(select(Delivery).where(Delivery.subject == "case:1:reporter")))
            .scalars()
            .all()
        )
    messages = sorted(to_message(d).text for d in to_reporter)
    assert messages == sorted([f"Sua denúncia SOS-{YEAR}-0001 agora está: verificada.",
                               f"Mensagem do secretariado sobre SOS-{YEAR}-0001:\nAre you safe tonight?"])  # fmt: skip
    assert all("Sam" not in m for m in messages)
    answer_button = next(to_message(d).buttons[0][0] for d in to_reporter if to_message(d).buttons)
    await reporter.press_button(answer_button)  # type: ignore[attr-defined]
    [thanks] = await reporter.say("Yes, we moved to a relative's house.")  # type: ignore[attr-defined]
    assert thanks == f"Sua mensagem foi adicionada a SOS-{YEAR}-0001. O secretariado foi avisado."
    async with app.sessions() as session:
        events = (await session.execute(select(CaseEvent.kind, CaseEvent.body).order_by(CaseEvent.id))).all()
        reads = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "case.read")))
            .scalars()
            .all()
        )
    assert [e.kind for e in events] == ["created", "status", "to_reporter", "note", "from_reporter"]
    assert events[-1].body == "Yes, we moved to a relative's house."
    assert len(reads) == 1


async def test_every_secretariat_case_command_is_refused_to_other_roles(app: App) -> None:
    await people(app)
    for who in ("lucia", "joseph", "rafael", "karim"):
        for command in ("/cases", f"/case SOS-{YEAR}-0001", f"/status SOS-{YEAR}-0001 closed", f"/assign SOS-{YEAR}-0001 1",
                        f"/note SOS-{YEAR}-0001 x", f"/reply SOS-{YEAR}-0001 x"):  # fmt: skip
            [refusal] = await chat(app, who).say(command)
            assert refusal in {
                "Lo siento, esto no está disponible para usted. Escriba AYUDA para ver lo que puede hacer.",
                "Sorry, this isn't available to you. Type HELP to see what you can do.",
                "Desculpe, isto não está disponível para você. Escreva AJUDA para ver o que pode fazer.",
                "عذرًا، هذا غير متاح لك. اكتب «مساعدة» لترى ما يمكنك فعله.",
            }


async def test_nothing_sensitive_on_disk_and_purge_and_rotation(app: App, tmp_path: Path) -> None:
    await people(app)
    reporter = await full_report(app, "rafael")
    await reporter.press_button(send_button(reporter))  # type: ignore[attr-defined]
    await chat(app, "sam").say(f"/reply SOS-{YEAR}-0001 We are calling the Pará prosecutor now")
    await app.engine.dispose()  # checkpoint nothing away: read the file and its WAL as they are
    database = Path(app.settings.database_url.split("///", 1)[1])
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for secret in (WHAT, NAMES, PLACE, CONTACT, "Pará prosecutor", "Rafael Souza"):
        assert secret.encode() not in raw, secret

    # Erasing the reporter keeps the case, without its contact.
    await reporter.say("/forget")  # type: ignore[attr-defined]
    await reporter.press("Apagar meus dados")  # type: ignore[attr-defined]
    async with app.sessions() as session, session.begin():
        case = (await session.execute(select(Case))).scalar_one()
        assert case.contact is None and case.what_happened == WHAT
        case.status, case.closed_at = "closed", utcnow().replace(year=PAST)
        assert await purge_closed(session, retention_days=365) == 1
    async with app.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
        bodies = (await session.execute(select(CaseEvent.body))).scalars().all()
    assert case.what_happened is None and case.place is None and case.purged_at is not None
    assert case.reference == f"SOS-{YEAR}-0001" and case.country == "BR" and set(bodies) == {None}

    # Rotation: a new key first, the old one still readable; after rotate-key the old key can go.
    old = app.settings.data_keys or ()
    new = generate_key()
    from storage.crypto import SANDBOX_KEY

    install_keyring(Keyring((new, *(old or (SANDBOX_KEY,)))))
    async with app.sessions() as session, session.begin():
        assert await reencrypt_all(session) > 0
    install_keyring(Keyring((new,)))
    async with app.sessions() as session:
        names = [
            p.display_name
            for p in (await session.execute(select(__import__("storage.models").models.Person)))
            .scalars()
            .all()
        ]
    assert "Lucía Hernández" in names
    install_keyring(Keyring((SANDBOX_KEY,)))


async def test_link_and_start_an_appeal_or_letter_from_a_case(app: App) -> None:
    await people(app)
    reporter = await full_report(app, "rafael")  # consent: secretariat only
    await reporter.press_button(send_button(reporter))  # type: ignore[attr-defined]
    sam = chat(app, "sam")
    [draft] = await sam.say(f"/case SOS-{YEAR}-0001 appeal")
    assert draft == (
        f"UA-{YEAR}-001 drafted for SOS-{YEAR}-0001. The reporter did not allow sharing beyond the secretariat: "
        "nothing from the report was copied."
    )
    async with app.sessions() as session, session.begin():
        from storage.models import Appeal, AppealText

        text = (await session.execute(select(AppealText))).scalar_one()
        assert (
            WHAT not in (text.title + text.what_happened)
            and text.title == "Physical attack or threat — Brazil"
        )
        case = (await session.execute(select(Case))).scalar_one()
        case.consent, case.names_publishable = "network", True
    [letter] = await sam.say(f"/case SOS-{YEAR}-0001 letter")
    assert (
        letter
        == f"CL-{YEAR}-001 drafted from SOS-{YEAR}-0001 with the report's text, in Portuguese. Review it before "
        "sending."
    )  # Rafael wrote it in Portuguese: it is the letter's Portuguese text
    async with app.sessions() as session:
        from storage.models import LetterText

        body, language = (await session.execute(select(LetterText.body, LetterText.language))).one()
        appeal = (await session.execute(select(Appeal))).scalar_one()
    assert (body, language) == (f"{NAMES}: {WHAT}", "pt") and appeal.case_id == 1
    await sam.say("/appeal new")
    for answer in ("t", "w", "d", "-"):
        await sam.say(answer)
    assert await sam.say(f"/case SOS-{YEAR}-0001 link ua-{YEAR}-002") == [
        f"SOS-{YEAR}-0001 is linked to UA-{YEAR}-002."
    ]
    assert await sam.say(f"/case SOS-{YEAR}-0001 link UA-{YEAR}-099") == [
        f"No appeal or letter has the reference UA-{YEAR}-099."
    ]
