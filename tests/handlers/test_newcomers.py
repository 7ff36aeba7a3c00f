"""Newcomers: a first message without a command, or a platform language the bot does not speak, gets the
five languages (each named in itself) and then the start message."""

from __future__ import annotations

from bot.app import App
from bot.config import LANGUAGES
from bot.core.i18n import translator
from tests.support import chat

LANGUAGE_QUESTION = "\n".join(translator(code).gettext("Choose your language:") for code in LANGUAGES)
NAMES = ["English", "Español", "Français", "العربية", "Português"]


async def test_hola_as_a_first_message_gets_the_language_choice_then_the_start_message(app: App) -> None:
    ines = chat(app, "ines")
    question, greeting = await ines.say("hola")
    assert question == LANGUAGE_QUESTION
    assert question.splitlines() == [
        "Choose your language:",
        "Elija su idioma:",
        "Choisissez votre langue\u202f:",
        "اختر لغتك:",
        "Escolha seu idioma:",
    ]
    assert greeting.startswith("Hello Ines, this is the SOS bot")
    first_buttons = [b.label for row in ines.transcript[-2].buttons for b in row]
    assert first_buttons == NAMES
    [chosen] = await ines.press("Español")
    assert chosen == translator("es").gettext(
        "From now on I will write to you in {language}.", language="Español"
    )
    assert await ines.say("hola otra vez") == [
        translator("es").gettext("I didn't understand that. Type HELP to see what you can do.")
    ]


async def test_a_newcomer_in_a_language_we_speak_is_greeted_in_it(app: App) -> None:
    question, greeting = await chat(app, "ines", hint="es-MX").say("hola")
    assert question == LANGUAGE_QUESTION
    assert greeting.startswith("Hola Ines")


async def test_a_platform_language_we_do_not_speak_gets_the_choice_before_a_command(app: App) -> None:
    answers = await chat(app, "jonas", hint="de-DE").say("/help")
    assert answers[0] == LANGUAGE_QUESTION
    assert answers[1].startswith("Hello Jonas, this is the SOS bot")
    assert answers[2].startswith("You are registered as:")
    assert len(answers) == 3


async def test_start_or_language_first_are_not_greeted_twice(app: App) -> None:
    [greeting] = await chat(app, "jonas", hint="de-DE").say("/start")
    assert greeting.startswith("Hello Jonas")
    assert await chat(app, "lena", hint="de").say("language") == ["Choose your language:"]


async def test_a_newcomer_in_a_language_we_speak_typing_a_command_gets_just_the_answer(app: App) -> None:
    [answer] = await chat(app, "ines", hint="pt-BR").say("ajuda")
    assert answer.startswith(
        translator("pt").gettext("You are registered as: {role}.", role="").split(":")[0]
    )
