"""Words people type: case, accents, Arabic letter variants, the article and spaces fold alike, in every
language, in dialogs; the catalogue check refuses words that would make typing ambiguous."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core import i18n_check
from bot.core.commands import match_command, normalise_word, word_problems
from bot.core.i18n import translator
from storage.models import Conversation
from tests.support import chat, people


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ATRÁS", "atrás"),
        ("atras", "atrás"),
        ("/Répondre", "répondre"),
        ("DEMARRER", "démarrer"),
        ("ORGANIZACOES", "organizações"),
        ("mis_casos", "mis casos"),
        ("Mes-Dossiers", "mes dossiers"),
        ("MEUS   CASOS", "meus casos"),
        ("الغاء", "إلغاء"),
        ("لغة", "اللغة"),
        ("حالـاتي", "حالاتي"),
        ("مُساعَدة", "مساعدة"),
        ("إلغاء_الاشتراك", "إلغاء الاشتراك"),
        ("ٱبدأ", "ابدأ"),
        ("مساعده", "مساعدة"),
    ],
)
def test_words_fold_as_people_write_them(typed: str, written: str) -> None:
    assert normalise_word(typed) == normalise_word(written)


def test_distinct_words_stay_distinct() -> None:
    assert normalise_word("caso") != normalise_word("casos")
    assert normalise_word("إلغاء") != normalise_word("إلغاء الاشتراك")


def test_the_longest_multi_word_command_wins() -> None:
    aliases = {"ghaa": "cancel", normalise_word("إلغاء"): "cancel", normalise_word("إلغاء الاشتراك"): "unsub"}
    assert match_command(aliases, "إلغاء الاشتراك الآن") == ("unsub", "الآن")
    assert match_command(aliases, "الغاء") == ("cancel", "")
    assert match_command(aliases, "something else") is None


async def _answers(app: App, who: str, hint: str | None, typed: str) -> list[str]:
    return await chat(app, who, hint=hint).say(typed)


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("es", "MIS CASOS"),
        ("es", "Mis_Casos"),
        ("es", "/mis_casos"),
        ("fr", "MES DOSSIERS"),
        ("fr", "mes-dossiers"),
        ("pt", "meus casos"),
        ("pt", "MEUS CASOS"),
        ("ar", "حالاتي"),
        ("ar", "حالـاتي"),
        ("en", "my cases"),
    ],
)
async def test_multi_word_commands_typed_with_spaces(app: App, language: str, typed: str) -> None:
    english = await _answers(app, "newcomer-en", "en", "mycases")
    answers = await _answers(app, f"newcomer-{language}", language, typed)
    assert english == ["You have not reported anything."]
    assert answers == [translator(language).gettext("You have not reported anything.")]


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("ar", "إلغاء الاشتراك"),
        ("ar", "الغاء الاشتراك"),
        ("es", "BAJA"),
        ("fr", "Désabonner"),
        ("fr", "desabonner"),
    ],
)
async def test_unsubscribe_in_every_spelling(app: App, language: str, typed: str) -> None:
    answers = await _answers(app, f"newcomer-{language}", language, typed)
    assert answers == [translator(language).gettext("You were not subscribed.")]


@pytest.mark.parametrize(
    ("language", "typed"),
    [("ar", "لغة"), ("ar", "اللغة"), ("ar", "اللغه"), ("es", "IDIOMA"), ("pt", "Idioma")],
)
async def test_language_word_with_or_without_article(app: App, language: str, typed: str) -> None:
    answers = await _answers(app, f"newcomer-{language}", language, typed)
    assert answers == [translator(language).gettext("Choose your language:")]


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("en", "Back"),
        ("es", "atrás"),  # the Back button's own label, typed
        ("es", "Atrás"),
        ("es", "ATRAS"),
        ("fr", "RETOUR"),
        ("pt", "voltar"),
        ("ar", "رجوع"),
    ],
)
async def test_back_typed_in_a_report_goes_back_and_is_not_stored(
    app: App, language: str, typed: str
) -> None:
    t = translator(language)
    person = chat(app, f"reporter-{language}", hint=language)
    await person.say("/report")
    await person.press(2)  # another person: the next question is the names
    answers = await person.say(typed)
    assert answers == [t.gettext("Who is at risk?")]
    async with app.sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.step == "who" and conversation.secret_data in (None, "", "{}")


@pytest.mark.parametrize(
    ("language", "typed"), [("ar", "الغاء"), ("ar", "إلغاء"), ("es", "CANCELAR"), ("pt", "Cancelar")]
)
async def test_cancel_in_a_report_in_every_spelling(app: App, language: str, typed: str) -> None:
    person = chat(app, f"reporter-{language}", hint=language)
    await person.say("/report")
    await person.press(1)
    assert await person.say(typed) == [translator(language).gettext("Cancelled. Nothing was saved.")]
    async with app.sessions() as session:
        assert (await session.execute(select(Conversation))).first() is None


@pytest.mark.parametrize(
    ("language", "typed"), [("es", "BORRAR"), ("fr", "Effacer"), ("ar", "إمسح"), ("pt", "LIMPAR")]
)
async def test_the_panic_word_wipes_the_report_in_every_spelling(app: App, language: str, typed: str) -> None:
    person = chat(app, f"reporter-{language}", hint=language)
    await person.say("/report")
    await person.press(2)
    assert await person.say(typed) == [translator(language).gettext("Done.")]
    async with app.sessions() as session:
        assert (await session.execute(select(Conversation))).first() is None


@pytest.mark.parametrize(
    ("english", "typed"),
    [
        ("audit", "AUDITORÍA"),
        ("orgs", "ORGANIZAÇÕES"),
        ("orgs", "Organizaciones"),
        ("verify", "VÉRIFIER"),
        ("reply", "RÉPONDRE"),
        ("start", "DÉMARRER"),
        ("status", "وضع"),
        ("revoke", "نزع"),
        ("settings", "CONFIGURAÇÕES"),
    ],
)
async def test_secretariat_words_typed_with_accents_do_what_english_does(
    app: App, english: str, typed: str
) -> None:
    await people(app)
    sam = chat(app, "sam")
    assert await sam.say(typed) == await sam.say(english)


def test_the_shipped_command_words_are_unambiguous() -> None:
    assert i18n_check.command_word_problems() == []


def test_the_check_refuses_words_that_fold_alike_or_differ_by_the_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arabic = translator("ar")
    planted = {"case": "حالة", "status": "الحالة", "clear": "امسح"}
    monkeypatch.setattr(arabic, "pgettext", lambda context, word: planted.get(word, word))
    problems = word_problems(["case", "status", "help"], "ar")
    assert problems == ["ar: commands 'case' and 'status' are both typed as 'حاله' ('حالة', 'الحالة')"]


def test_the_check_refuses_a_panic_word_that_erases_data(monkeypatch: pytest.MonkeyPatch) -> None:
    spanish = translator("es")
    monkeypatch.setattr(spanish, "pgettext", lambda context, word: "borrar" if word == "clear" else word)
    monkeypatch.setattr(spanish, "gettext", lambda message, **values: "Borrar mis datos")
    assert word_problems(["clear"], "es") == ["es: the panic word 'borrar' also erases data"]


@pytest.mark.parametrize(
    ("language", "typed"),
    [("en", "another person"), ("es", "OTRA PERSONA"), ("fr", "une autre personne"), ("ar", "شخص آخر")],
)
async def test_a_choice_typed_instead_of_pressed_is_that_choice(app: App, language: str, typed: str) -> None:
    t = translator(language)
    person = chat(app, f"reporter-{language}", hint=language)
    await person.say("/report")
    assert await person.say(typed) == [t.gettext("Names of the people at risk, if you wish (or - to skip).")]
    async with app.sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.step == "names" and conversation.data.get("who") == "person"
