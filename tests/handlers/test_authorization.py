"""Who may become secretariat and how: bootstrap identities apply once and can be revoked for good, the
two-person rule covers granting the role, revoking oneself asks first, and a person signs a letter only
through the bot's own buttons under the name they typed (en, es, ar)."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App, build_app
from bot.core.events import Button
from storage.letters import LetterRepository
from storage.models import AuditEntry, Person, Role, Setting, Signature
from tests.conftest import make_settings
from tests.handlers.test_triage_privacy import make_secretariat
from tests.support import chat, people


async def role_of(app: App, person_id: int) -> Role:
    async with app.sessions() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return person.role


async def test_a_bootstrap_identity_applies_once_and_a_revoke_holds_across_restarts(any_app: App) -> None:
    [first] = await chat(any_app, "amina").say("/help")  # Amina is SOS_SECRETARIAT's console identity
    assert first.startswith("You are registered as: secretariat.")
    async with any_app.sessions() as session:
        marks = (
            (await session.execute(select(Setting.key).where(Setting.key.like("bootstrap:%"))))
            .scalars()
            .all()
        )
    assert len(marks) == 1 and "amina" not in marks[0]  # keyed: the mark does not name the account
    await people(any_app)
    assert await chat(any_app, "sam").say("/revoke 1") == ["#1 is now: defender (was: secretariat)."]
    [after] = await chat(any_app, "amina").say("/help")
    assert not after.startswith("You are registered as: secretariat.")
    await any_app.close()
    restarted = build_app(make_settings(any_app.settings.database_url))
    try:
        await chat(restarted, "amina").say("/help")
        assert await role_of(restarted, 1) == Role.DEFENDER
        async with restarted.sessions() as session:
            bootstraps = (
                (await session.execute(select(AuditEntry).where(AuditEntry.action == "role.bootstrap")))
                .scalars()
                .all()
            )
        assert len(bootstraps) == 1
    finally:
        await restarted.close()


async def test_granting_the_secretariat_role_needs_a_second_member_under_the_two_person_rule(
    any_app: App,
) -> None:
    await people(any_app)
    sam, amina = chat(any_app, "sam"), chat(any_app, "amina")
    await sam.say("/settings two-person on")
    assert await sam.say("/grant 6 secretariat") == [
        "Giving the secretariat role to #6 waits for a second secretariat member's approval (#2 Sam (secretariat) asked)."
    ]
    assert await role_of(any_app, 6) == Role.DEFENDER
    approve = Button("Approve", "role-approve", "6")
    assert await sam.press_button(approve) == [
        "Another secretariat member must approve this: not the one who asked, nor the person concerned."
    ]
    assert await role_of(any_app, 6) == Role.DEFENDER
    [done] = await amina.press_button(approve)
    assert done.startswith("\u200f\u2068#6\u2069")  # in Arabic: the sign inside the isolate, the line RTL
    assert await role_of(any_app, 6) == Role.SECRETARIAT
    assert await amina.press_button(approve) == [
        "انتهت صلاحية هذا الزر.",
        "لا يوجد طلب للموافقة عليه لهذا الشخص.",
    ]
    async with any_app.sessions() as session:
        change = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "role.change"))
        ).scalar_one()
    assert change.actor_id == 1 and change.detail["requested_by"] == 2
    await sam.say("/settings two-person off")
    assert await sam.say("/grant 7 secretariat") == ["#7 is now: secretariat (was: defender)."]


async def test_revoking_oneself_asks_first(app: App) -> None:
    await people(app)
    await make_secretariat(app, "lucia")
    lucia = chat(app, "lucia")
    [question] = await lucia.say("/revocar 3")
    assert question.startswith("Está a punto de renunciar a su propio rol (secretaría).")
    assert [b.label for row in lucia.last_buttons for b in row] == ["Renunciar a mi rol", "Conservar mi rol"]
    assert await lucia.press("Conservar mi rol") == ["No se cambió nada."]
    assert await role_of(app, 3) == Role.SECRETARIAT
    await lucia.say("/revocar 3")
    [done] = await lucia.press("Renunciar a mi rol")
    assert done == "#3 ahora es: defensor/a (antes: secretaría)."
    assert await role_of(app, 3) == Role.DEFENDER
    [english] = await chat(app, "sam").say("/revoke 2")
    assert english.startswith("You are about to give up your own role (secretariat).")


async def test_a_person_signs_only_through_the_bots_buttons_under_the_name_they_typed(app: App) -> None:
    await people(app)
    async with app.sessions() as session, session.begin():
        letter = await LetterRepository(session).create(2, "The Minister")
        letter.signing_mode, letter.status = "individuals", "published"
    karim = chat(app, "karim")  # a defender, Arabic
    assert await karim.press_button(Button("x", "sign-ok", f"{letter.id}:person")) == [
        "هذا الزر لم يعد صالحًا: لم يتغير شيء. اكتب «مساعدة» للبدء من جديد."
    ]
    [question] = await karim.press_button(Button("Sign", "sign", str(letter.id)))
    assert question.startswith("ما الاسم الذي يجب أن يظهر تحت")
    [confirm] = await karim.say("Karim H.")
    assert "Karim H." in confirm
    await karim.press(1)
    async with app.sessions() as session:
        signature = (await session.execute(select(Signature))).scalar_one()
        signer = await session.get(Person, signature.person_id)
    assert signature.signer_key == f"person:{signer.id}" and signer.display_name == "Karim H."  # type: ignore[union-attr]
    joseph = chat(app, "joseph")
    await joseph.press_button(Button("Sign", "sign", str(letter.id)))
    assert await joseph.say("Joseph K.") != []
    assert await joseph.press("Cancel") == ["Nothing was signed."]
