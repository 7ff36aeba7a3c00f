"""What the secretariat's groups see of a case (the minimum), and what links a case to a person (nothing).

Case views answer the asking member privately in en, es and ar; lists of persons answer only in private;
reporters' actions are audited without the actor; people who only reported are counted, not named; a
failed delivery to a reporter never shows their chat id.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.core.codec import to_message
from bot.core.delivery import FailureKind
from bot.core.events import ActionEvent, ChatKind, ChatRef, CommandEvent, Notice, Outgoing, OutgoingMessage
from handlers.alerts import notify_target_lost
from storage.models import AuditEntry, Case, Delivery, Identity, Person, Role
from tests.handlers.test_appeals import in_group
from tests.handlers.test_reports import CONTACT, NAMES, PLACE, WHAT, full_report
from tests.support import chat, people

TRIAGE = ChatRef("console", "g-triage", kind=ChatKind.GROUP, title="Triage")
SECRETS = (WHAT, PLACE, CONTACT, NAMES)


async def reported(app: App, who: str = "rafael") -> Case:
    """A stored report (the sandbox's triage group registered first), returned as its case."""
    reporter = await full_report(app, who)
    send = next(b for row in reporter.last_buttons for b in row if b.action == "report-send")  # type: ignore[attr-defined]
    await reporter.press_button(send)  # type: ignore[attr-defined]
    async with app.sessions() as session:
        return (await session.execute(select(Case).order_by(Case.id.desc()))).scalars().first()  # type: ignore[return-value]


async def make_secretariat(app: App, key: str) -> None:
    async with app.sessions() as session, session.begin():
        identity = (await session.execute(select(Identity).where(Identity.user_id == key))).scalar_one()
        person = await session.get(Person, identity.person_id)
        assert person is not None
        person.role = Role.SECRETARIAT


async def in_triage(app: App, who: str, event_kind: str, payload: str) -> list[Outgoing]:
    """``who`` types a command or presses a button in the triage group; what the bot sends, and where."""
    actor = chat(app, who).actor
    event = (
        CommandEvent(f"t-{who}-{event_kind}-{payload}", actor, TRIAGE, name="case", args=(payload,))
        if event_kind == "command"
        else ActionEvent(
            f"t-{who}-{event_kind}-{payload}", actor, TRIAGE, action="case-open", payload=payload
        )
    )
    return (await app.dispatcher.handle(event)).outgoing


def texts_in(outgoing: list[Outgoing], chat_id: str) -> list[str]:
    return [o.text for o in outgoing if isinstance(o, OutgoingMessage | Notice) and o.chat.chat_id == chat_id]


async def test_case_details_go_privately_and_the_group_gets_a_note_in_three_languages(app: App) -> None:
    await people(app)
    await make_secretariat(app, "lucia")
    assert await in_group(app, "sam", "g-triage").say("/channel triage") == [
        "This chat is now the secretariat's triage channel."
    ]
    case = await reported(app)
    notes = {
        "sam": "Sent to you privately.",
        "lucia": "Se lo envié en privado.",
        "amina": "أرسلتُه إليك على انفراد.",
    }
    headings = {"sam": "At risk: ", "lucia": "En riesgo: ", "amina": "المعرّض للخطر: "}
    for who, note in notes.items():
        for kind, payload in (("command", case.reference), ("button", str(case.id))):
            outgoing = await in_triage(app, who, kind, payload)
            in_group_texts = texts_in(outgoing, "g-triage")
            assert in_group_texts == [note], (who, kind)
            [private] = texts_in(outgoing, f"dm-{who}")
            assert headings[who] in private and WHAT in private and CONTACT in private
            assert not any(secret in text for text in in_group_texts for secret in SECRETS)
    async with app.sessions() as session:
        reads = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "case.read")))
            .scalars()
            .all()
        )
    assert len(reads) == 6


async def test_a_member_without_a_private_chat_gets_nothing_in_the_group(app: App) -> None:
    await people(app)
    await in_group(app, "sam", "g-triage").say("/channel triage")
    case = await reported(app)
    await in_group(app, "zoe", "g-triage").say("/help")  # Zoe only ever wrote in the group
    await make_secretariat(app, "zoe")
    outgoing = await in_triage(app, "zoe", "command", case.reference)
    assert [o.chat.chat_id for o in outgoing] == ["g-triage"]
    assert texts_in(outgoing, "g-triage") == [
        "I cannot write to you privately yet: open a private chat with me, type START, then ask again."
    ]


async def test_people_and_audit_answer_only_in_private(app: App) -> None:
    await people(app)
    await make_secretariat(app, "lucia")
    refusals = {
        "sam": "Please write to me in a private chat for this.",
        "lucia": "Para esto, escríbame en un chat privado, por favor.",
        "amina": "لهذا الأمر، يُرجى مراسلتي في محادثة خاصة.",
    }
    for who, refusal in refusals.items():
        for command in ("/people", "/audit", "/verify 5"):
            assert await in_group(app, who, "g-members").say(command) == [refusal], (who, command)


async def test_reporters_are_audited_without_the_actor_and_counted_not_named(any_app: App) -> None:
    await people(any_app)
    case = await reported(any_app, "rafael")
    reporter = chat(any_app, "rafael")
    await reporter.say("/mycases")
    await reporter.press(1)
    await reporter.say("We moved to a safe place.")
    async with any_app.sessions() as session:
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.subject == f"case:{case.id}")))
            .scalars()
            .all()
        )
    by_action = {e.action: e.actor_id for e in entries}
    assert by_action == {"case.create": None, "case.reporter_message": None}
    [listing] = await chat(any_app, "sam").say("/people")
    assert "Rafael" not in listing and "Karim Haddad — defender, no organisation" in listing
    assert listing.endswith("…and 1 person who only reported, not listed.")
    [arabic] = await chat(any_app, "amina").say("/people")
    assert "Rafael" not in arabic and arabic.endswith("…وشخص واحد أبلغ فقط، غير مدرج.")
    [audit] = await chat(any_app, "sam").say("/audit")
    assert f"— —: received a report (case #{case.id})" in audit


async def test_a_reporter_who_chose_to_be_known_is_listed(app: App) -> None:
    await people(app)
    case = await reported(app, "rafael")
    async with app.sessions() as session, session.begin():
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.at_risk, stored.names_publishable = "me — Rafael Souza", True
    [listing] = await chat(app, "sam").say("/people")
    assert "Rafael Souza — defender, no organisation" in listing and "only reported" not in listing


async def test_a_failed_delivery_to_a_reporter_names_the_case_not_the_chat(app: App) -> None:
    await people(app)
    case = await reported(app, "rafael")
    async with app.sessions() as session:
        row = Delivery(subject=f"case:{case.id}:reporter", platform="console", chat_id="dm-rafael", language="pt",
                       payload="{}")  # fmt: skip
    await notify_target_lost(app.sessions, app.settings.default_language, row, FailureKind.BLOCKED)
    async with app.sessions() as session:
        notices = (
            (await session.execute(select(Delivery).where(Delivery.subject.like("lost:%")))).scalars().all()
        )
    texts = {n.chat_id: to_message(n).text for n in notices}
    assert texts["dm-sam"] == (
        f"The message to the reporter of case {case.reference} could not be delivered to a private chat on the "
        "console: the bot was blocked or removed. That person can no longer be reached there."
    )
    assert case.reference in texts["dm-amina"] and "صاحب البلاغ" in texts["dm-amina"]
    assert all("dm-rafael" not in text for text in texts.values())
    stranger = Delivery(
        subject="appeal:1", platform="console", chat_id="dm-joseph", language="en", payload="{}"
    )
    await notify_target_lost(app.sessions, app.settings.default_language, stranger, FailureKind.NOT_FOUND)
    async with app.sessions() as session:
        notices = (
            (await session.execute(select(Delivery).where(Delivery.subject.like("lost:%")))).scalars().all()
        )
    assert all("dm-joseph" not in to_message(n).text for n in notices)
