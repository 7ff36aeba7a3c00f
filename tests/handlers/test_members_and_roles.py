"""Joining an organisation, its verification, roles, audit, and resuming a flow after a restart."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App, build_app
from storage.models import AuditEntry, Organisation, Person, Role
from tests.conftest import make_settings
from tests.support import chat, people


async def _person(app: App, name: str) -> Person:
    async with app.sessions() as session:
        persons = (await session.execute(select(Person))).scalars().all()
    return next(p for p in persons if p.display_name == name)


async def test_join_registers_an_unverified_organisation_and_the_secretariat_verifies_it(app: App) -> None:
    await people(app)
    ines = chat(app, "ines")
    assert await ines.say("/join") == ["Which organisation do you belong to? Type its full name (or CANCEL)."]
    assert await ines.say("  Colectivo   Tierra ") == ["In which country is Colectivo Tierra based?"]
    [thanks] = await ines.say("Guatemala")
    assert thanks.startswith("Thank you. You are now listed as a member of Colectivo Tierra.")
    member = await _person(app, "Ines")
    assert member.role == Role.MEMBER and not member.membership_confirmed

    [listing] = await chat(app, "sam").say("/orgs pending")
    assert "#6 Colectivo Tierra (Guatemala) — not verified, 1 member (0 confirmed)" in listing
    assert "Shams Collective" in listing and "ProDESC" not in listing  # the sandbox's unverified one
    assert listing.startswith("2 organisations:")
    [mexico] = await chat(app, "sam").say("/orgs mexico")
    assert mexico.startswith("1 organisation:\n#1 ProDESC (Mexico) — verified, 1 member (1 confirmed)")
    [arabic] = await chat(app, "amina").say("/orgs")
    assert arabic.startswith("\u200f\u20686\u2069 منظمات:\n")  # Arabic's "few" form (3 to 10)
    assert "\u2068عضو واحد (\u20681\u2069 مؤكَّد)\u2069" in arabic
    [verified] = await chat(app, "sam").say("/verify 6")
    assert verified == f"Colectivo Tierra is verified.\n1 member waits for confirmation:\n#{member.id} Ines"
    assert await chat(app, "sam").say(f"/verify 6 member {member.id}") == [
        f"1 member of Colectivo Tierra confirmed: #{member.id} Ines."
    ]
    assert await chat(app, "sam").say("/verify 6") == ["Colectivo Tierra was already verified."]
    assert await chat(app, "sam").say("/verify 99") == [
        "No organisation has that number. Type ORGS to see the list."
    ]
    assert (await _person(app, "Ines")).membership_confirmed
    async with app.sessions() as session:
        organisation = (await session.execute(select(Organisation).where(Organisation.id == 6))).scalar_one()
        actions = (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars().all()
    assert organisation.verified
    assert ["org.register", "org.join", "org.verify", "member.confirm"] == [
        a for a in actions if a.startswith(("org.", "member."))
    ]


async def test_joining_an_existing_organisation_skips_the_country(app: App) -> None:
    await people(app)
    ines = chat(app, "ines")
    await ines.say("/join")
    [thanks] = await ines.say("prodesc")
    assert thanks.startswith("Thank you. You are now listed as a member of ProDESC.")


async def test_cancel_ends_the_flow_and_saves_nothing(app: App) -> None:
    ines = chat(app, "ines")
    await ines.say("/join")
    await ines.say("Colectivo Tierra")
    assert await ines.say("CANCEL") == ["Cancelled. Nothing was saved."]
    assert await ines.say("Guatemala") == ["I didn't understand that. Type HELP to see what you can do."]
    assert await ines.say("/cancel") == ["There is nothing to cancel."]
    async with app.sessions() as session:
        assert (await session.execute(select(Organisation))).scalars().all() == []


async def test_a_restart_in_the_middle_of_a_flow_resumes_it(any_app: App) -> None:
    await chat(any_app, "ines").say("/join")
    await chat(any_app, "ines").say("Colectivo Tierra")
    await any_app.close()
    restarted = build_app(make_settings(any_app.settings.database_url))
    try:
        [thanks] = await chat(restarted, "ines").say("Guatemala")
        assert thanks.startswith("Thank you. You are now listed as a member of Colectivo Tierra.")
    finally:
        await restarted.close()


async def test_grant_and_revoke_are_audited_and_keep_one_secretariat(app: App) -> None:
    await people(app)
    rafael = await _person(app, "Rafael Souza")
    sam = chat(app, "sam")
    assert await sam.say(f"/grant {rafael.id} member") == [f"#{rafael.id} is now: member (was: defender)."]
    assert await sam.say(f"/grant {rafael.id} miembro") == [f"#{rafael.id} already has that role."]
    assert await sam.say(f"/grant {rafael.id} boss") == ["Unknown role. Use secretariat, member or defender."]
    assert await sam.say("/grant 999 member") == ["No person has that number. Type PEOPLE to see the list."]
    assert await sam.say("/grant") == ["Usage: GRANT number role (secretariat, member or defender)."]
    assert await sam.say(f"/revoke {rafael.id}") == [f"#{rafael.id} is now: defender (was: member)."]
    amina = await _person(app, "Amina (secretariat)")
    sam_person = await _person(app, "Sam (secretariat)")
    await sam.say(f"/revoke {amina.id}")
    assert await sam.say(f"/revoke {sam_person.id}") == [
        "This is the last secretariat member: grant the role to someone else first."
    ]
    async with app.sessions() as session:
        changes = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "role.change")))
            .scalars()
            .all()
        )
    assert [(c.subject, c.detail["new"]) for c in changes] == [
        (f"person:{rafael.id}", "member"),
        (f"person:{rafael.id}", "defender"),
        (f"person:{amina.id}", "defender"),
    ]


async def test_people_and_audit_listings(app: App) -> None:
    await people(app)
    [listing] = await chat(app, "sam").say("/people")
    assert listing.startswith("7 people:")
    assert "Lucía Hernández — member, ProDESC (confirmed)" in listing
    [audit] = await chat(app, "sam").say("/audit")
    assert audit.startswith("Latest recorded actions:")
    assert "filled the sandbox (person #" in audit


async def test_secretariat_bootstrap_from_settings_is_audited(app: App) -> None:
    [answer] = await chat(app, "amina").say("/help")
    assert answer.startswith("You are registered as: secretariat.")
    async with app.sessions() as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "role.bootstrap"))
        ).scalar_one()
    assert entry.detail == {"old": "defender"}


async def test_forget_erases_after_confirmation(app: App) -> None:
    await people(app)
    joseph = chat(app, "joseph")
    [explanation] = await joseph.say("/forget")
    assert explanation.startswith("This erases your name, your platform accounts")
    assert await joseph.say("yes") == ["Please use the buttons above."]
    [done] = await joseph.press("Erase my data")
    assert done == "Your data has been erased. If you write again, I will not know who you are."
    async with app.sessions() as session:
        erased = (await session.execute(select(Person).where(Person.erased_at.is_not(None)))).scalar_one()
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "person.erase"))
        ).scalar_one()
    assert erased.display_name is None and erased.organisation_id is None
    assert audit.detail == {"identities": 1}
    [greeting] = await joseph.say("/start")
    assert greeting.startswith(
        "Hello Joseph Kollie"
    )  # a stranger again: the platform's name, no saved language


async def test_the_last_secretariat_member_cannot_forget_themselves(app: App) -> None:
    [refusal] = await chat(app, "amina").say("/forget")
    assert refusal == "You are the last secretariat member: grant the role to someone else first."


async def test_linking_two_accounts_makes_one_person(app: App) -> None:
    await people(app)
    await chat(app, "lucia-slack").say("/start")  # Lucía's second account, a newcomer so far
    lucia = await _person(app, "Lucía Hernández")
    second = await _person(app, "Lucia-Slack")
    sam = chat(app, "sam")
    assert await sam.say(f"/link {lucia.id} {second.id}") == [
        f"#{lucia.id} now has 1 more account (from #{second.id})."
    ]
    [answer] = await chat(app, "lucia-slack").say("/help")
    assert answer.startswith("Está registrado/a como: miembro.")  # Lucía's language and role now
    assert await sam.say(f"/link {lucia.id} {lucia.id}") == [
        "Usage: LINK number number (see PEOPLE); the second person's accounts join the first."
    ]
    async with app.sessions() as session:
        merged = await session.get(Person, second.id)
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "person.link"))
        ).scalar_one()
    assert merged is not None and merged.erased_at is not None
    assert entry.detail == {"merged": second.id, "identities": 1}


async def test_members_are_confirmed_one_by_one_with_buttons_in_spanish(any_app: App) -> None:
    from tests.handlers.test_triage_privacy import make_secretariat

    await people(any_app)
    for who in ("ines", "olga"):
        await chat(any_app, who).say("/join")
        await chat(any_app, who).say("Shams Collective")  # the sandbox's unverified organisation, #5
    ines, olga = await _person(any_app, "Ines"), await _person(any_app, "Olga")
    await make_secretariat(any_app, "lucia")
    lucia = chat(any_app, "lucia")
    [listing] = await lucia.say("/verificar 5")
    assert listing == (
        f"Shams Collective está verificada.\n2 miembros esperan confirmación:\n#{ines.id} Ines\n#{olga.id} Olga"
    )
    assert [b.label for row in lucia.last_buttons for b in row] == [
        f"Confirmar a #{ines.id} Ines",
        f"Confirmar a #{olga.id} Olga",
        "Confirmar a todos",
    ]
    assert await lucia.press(1) == [f"1 miembro de Shams Collective confirmado: #{ines.id} Ines."]
    assert (await _person(any_app, "Ines")).membership_confirmed and not (
        await _person(any_app, "Olga")
    ).membership_confirmed
    assert await lucia.press(1) == [f"#{ines.id} Ines ya estaba confirmado/a."]
    [people_listing] = await lucia.say("/personas")
    assert f"#{olga.id} Olga — miembro, Shams Collective (declarada, aún sin confirmar)" in people_listing
    assert await lucia.press(3) == [f"1 miembro de Shams Collective confirmado: #{olga.id} Olga."]
