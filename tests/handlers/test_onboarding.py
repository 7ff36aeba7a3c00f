"""Dialogs: start, help, language, unknown input, size limits, stale buttons, role refusals, failures."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from bot.core.dispatcher import MAX_TEXT_LENGTH
from bot.core.events import ActionEvent, ChatKind, ChatRef, CommandEvent
from storage.models import AuditEntry, Identity, Person, ProcessedEvent
from tests.support import chat, people


async def test_start_greets_explains_storage_and_offers_languages(app: App) -> None:
    newcomer = chat(app, "ines")
    [greeting] = await newcomer.say("/start")
    assert greeting.startswith("Hello Ines, this is the SOS bot")
    assert "What I store: your platform id, your name, your language and your organisation." in greeting
    labels = [b.label for row in newcomer.last_buttons for b in row]
    assert labels == ["English", "Español", "Français", "العربية", "Português"]


async def test_platform_hint_chooses_the_language_of_a_newcomer(app: App) -> None:
    [greeting] = await chat(app, "ines", hint="es-ES").say("/start")
    assert greeting.startswith("Hola Ines, este es el bot SOS del Sistema de Solidaridad de la red.")
    [arabic] = await chat(app, "karim-2", hint="ar").say("/start")
    assert arabic.startswith("مرحبًا \u2068Karim-2\u2069، هذا هو بوت \u2068SOS\u2069")


async def test_language_button_saves_the_choice_and_answers_in_it(app: App) -> None:
    newcomer = chat(app, "ines")
    await newcomer.say("/start")
    [answer] = await newcomer.press("العربية")
    assert answer == "من الآن فصاعدًا سأكتب إليك باللغة \u2068العربية\u2069."
    assert newcomer.transcript[-1].text.startswith("(edited)")
    async with app.sessions() as session:
        person = (await session.execute(select(Person))).scalar_one()
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "person.language"))
        ).scalar_one()
    assert person.language == "ar"
    assert audit.detail == {"old": None, "new": "ar"}


async def test_language_typed_directly_and_unknown_language(app: App) -> None:
    person = chat(app, "ines")
    [answer] = await person.say("/language pt")
    assert "Português" in answer
    [refusal] = await person.say("/language de")
    assert refusal == "Idioma desconhecido. Escolha um de: en, es, fr, ar, pt."
    assert person.last_buttons[0][0].label == "English"


async def test_help_lists_only_what_the_role_may_use(app: App) -> None:
    await people(app)
    [defender_help] = await chat(app, "rafael").say("/help")
    [secretariat_help] = await chat(app, "sam").say("/help")
    assert "VERIFICAR" not in defender_help and "CONCEDER" not in defender_help
    assert "• VERIFY — verify an organisation and confirm its members" in secretariat_help
    assert "• ADERIR — informar a qual organização você pertence" in defender_help  # Rafael reads Portuguese


async def test_localised_command_words_work_as_plain_text(app: App) -> None:
    await people(app)
    for word in ("HELP", "AYUDA", "aide", "مساعدة", "Ajuda"):
        [answer] = await chat(app, "joseph").say(word)
        assert answer.startswith("You are registered as: member.")
    [spanish] = await chat(app, "lucia").say("ayuda")
    assert spanish.startswith(
        "Está registrado/a como: miembro.\nLo que puede hacer:\n• INICIO — presentar el bot"
    )
    [arabic] = await chat(app, "karim").say("مساعدة")
    assert arabic.startswith("صفتك المسجَّلة: \u2068مدافع\u2069.\nما يمكنك فعله:\n• ابدأ — التعريف بالبوت")


async def test_unknown_commands_and_words_get_a_hint(app: App) -> None:
    person = chat(app, "ines")
    assert await person.say("/frobnicate") == ["I don't know that command. Type HELP to see what you can do."]
    assert await person.say("what is this?") == [
        "I didn't understand that. Type HELP to see what you can do."
    ]


async def test_oversized_text_is_refused_and_nothing_is_saved(app: App) -> None:
    person = chat(app, "ines")
    await person.say("/join")
    [refusal] = await person.say("x" * (MAX_TEXT_LENGTH + 1))
    assert refusal.startswith("Your message is too long (4,001 characters; the limit is 4,000).")
    [asked_again] = await person.say("Colectivo Tierra")
    assert asked_again == "In which country is Colectivo Tierra based?"


async def test_wrong_role_gets_a_polite_refusal_that_reveals_nothing(app: App) -> None:
    await people(app)
    for command in ("/verify 1", "/grant 1 secretariat", "/people", "/audit", "/orgs"):
        answers = await chat(app, "lucia", hint="en").say(command)
        assert answers == [
            "Lo siento, esto no está disponible para usted. Escriba AYUDA para ver lo que puede hacer."
        ]


async def test_a_button_pressed_twice_gets_a_clear_answer(app: App) -> None:
    await people(app)
    joseph = chat(app, "joseph")
    await joseph.say("/forget")
    keep = joseph.last_buttons[0][1]
    assert await joseph.press_button(keep) == ["Nothing was erased."]
    answers = await joseph.press_button(keep)
    assert answers == [
        "This button has expired.",
        "This button is no longer valid: nothing was changed. Type HELP to start again.",
    ]


async def test_a_forged_button_changes_nothing(app: App) -> None:
    person = chat(app, "ines")
    await person.say("/start")
    from bot.core.events import Button

    answers = await person.press_button(Button("x", "grant", "1:secretariat"))
    assert answers[0] == "This button has expired."
    async with app.sessions() as session:
        roles = (await session.execute(select(Person.role))).scalars().all()
    assert [r.value for r in roles] == ["defender"]


async def test_a_replayed_event_is_processed_once(app: App) -> None:
    person = chat(app, "ines")
    event = CommandEvent("same-id", person.actor, person.chat, name="language", args=("fr",))  # type: ignore[arg-type]
    first = await app.dispatcher.handle(event)
    second = await app.dispatcher.handle(event)
    assert len(first.outgoing) == 1 and second.duplicate and second.outgoing == []
    async with app.sessions() as session:
        assert (await session.execute(select(func.count(ProcessedEvent.id)))).scalar_one() == 1


async def test_private_flows_are_refused_in_groups_and_group_chatter_is_ignored(app: App) -> None:
    group = ChatRef("console", "group-1", kind=ChatKind.GROUP, title="Network")
    person = chat(app, "ines")
    person.chat = group
    assert await person.say("/join") == ["Please write to me in a private chat for this."]
    assert await person.say("good morning everyone") == []


async def test_a_failing_handler_is_answered_rolled_back_and_logged_without_content(app: App, caplog) -> None:  # type: ignore[no-untyped-def]
    async def explode(ctx, event):  # type: ignore[no-untyped-def]
        ctx.person.language = "fr"
        raise ValueError("secret words the person typed")

    app.dispatcher.router.commands["help"] = app.dispatcher.router.commands["help"].__class__(explode)
    [apology] = await chat(app, "ines").say("/help")
    assert apology.startswith("Sorry, something went wrong on our side and nothing was saved.")
    assert "secret words" not in caplog.text and "ValueError" in caplog.text
    async with app.sessions() as session:
        assert (await session.execute(select(func.count(Identity.id)))).scalar_one() == 0


async def test_action_without_message_id_still_answers(app: App) -> None:
    person = chat(app, "ines")
    event = ActionEvent("a-1", person.actor, person.chat, action="lang", payload="es")  # type: ignore[arg-type]
    outcome = await app.dispatcher.handle(event)
    assert len(outcome.outgoing) == 1
