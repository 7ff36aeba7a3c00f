"""The words a member types after a subcommand (fields), the values of STATUS, CASES and SUBSCRIBE, and the
command words shown inside replies, in es, fr, ar and pt as a native speaker types and reads them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.events import Button
from bot.core.i18n import translator
from storage.letters import LetterRepository
from storage.models import AppealText, Case, Letter, LetterText, Subscription
from tests.clock import YEAR
from tests.handlers.test_appeals import REF as APPEAL
from tests.handlers.test_appeals import draft, setup_network
from tests.handlers.test_letters import REF as LETTER
from tests.handlers.test_letters import publish
from tests.handlers.test_reports import full_report, send_button
from tests.handlers.test_subcommands import speaks
from tests.support import chat, people

SECRETARIAT = {"en": "sam", "es": "sam", "fr": "sam", "ar": "amina", "pt": "sam"}


def typed(*parts: str) -> str:
    """What a person types: ``parts`` (each a word or value as they write it) with a space between."""
    return " ".join(parts)


# (language, LETTER edit REF addressee …, LETTER edit REF text Spanish …, LETTER edit REF deadline -)
LETTER_EDITS = [
    ("es", "carta editar {ref} DESTINATARIO Fiscal General", "Carta Editar {ref} texto ESPAÑOL Pedimos justicia.",
     "carta editar {ref} plazo -"),
    ("fr", "lettre modifier {ref} destinataire Procureur général", "lettre modifier {ref} texte espagnol Pedimos justicia.",
     "LETTRE MODIFIER {ref} echeance -"),
    ("ar", "رسالة تعديل {ref} المرسل اليه النائب العام", "رساله تعديل {ref} النص الاسبانيه Pedimos justicia.",
     "رسالة تعديل {ref} موعد -"),
    ("pt", "carta editar {ref} destinatario Procurador-Geral", "carta editar {ref} Texto espanhol Pedimos justicia.",
     "Carta Editar {ref} PRAZO -"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "addressee", "text", "deadline"), LETTER_EDITS)
async def test_letter_edit_fields_typed_natively(
    app: App, language: str, addressee: str, text: str, deadline: str
) -> None:
    await publish(app)
    who = SECRETARIAT[language]
    await speaks(app, who, language)
    t = translator(language)
    person = chat(app, who)
    name = addressee.split(" ", 4)[-1] if language != "ar" else "النائب العام"
    assert await person.say(addressee.format(ref=LETTER)) == [
        t.gettext("{reference}: the addressee is now {addressee}.", reference=LETTER, addressee=name)
    ]
    assert await person.say(text.format(ref=LETTER)) == [
        t.gettext("{reference} saved ({language}).", reference=LETTER, language=t.language_name("es"))
    ]
    assert await person.say(deadline.format(ref=LETTER)) == [
        t.gettext("{reference} has no deadline now.", reference=LETTER)
    ]
    async with app.sessions() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
        spanish = (await session.execute(select(LetterText).where(LetterText.language == "es"))).scalar_one()
    assert (letter.addressee, letter.deadline, spanish.body) == (name, None, "Pedimos justicia.")


@pytest.mark.parametrize("language", ["en", "es", "fr", "ar", "pt"])
async def test_field_usage_lines_use_the_readers_words(app: App, language: str) -> None:
    await people(app)
    who = SECRETARIAT[language]
    await speaks(app, who, language)
    t = translator(language)
    command, edit = t.pgettext("command", "letter"), t.pgettext("subcommand", "edit")
    [usage] = await chat(app, who).say(typed(command, edit))
    for field in ("addressee", "text", "deadline"):
        assert t.pgettext("field", field) in usage, field
        if language != "en":
            assert not re.search(rf"\b{field}\b", usage), field
    update = t.pgettext("subcommand", "update")
    [usage] = await chat(app, who).say(typed(t.pgettext("command", "appeal"), update))
    for field in ("title", "what", "todo", "deadline"):
        assert t.pgettext("field", field) in usage, field


# (language, APPEAL translate REF Spanish title, APPEAL update REF deadline)
APPEAL_EDITS = [
    ("es", "llamamiento traducir {ref} español TITULO", "llamamiento actualizar {ref} Plazo"),
    ("fr", "appel traduire {ref} espagnol titre", "appel actualiser {ref} échéance"),
    ("ar", "نداء ترجمه {ref} الاسبانيه عنوان", "نداء تحديث {ref} الموعد"),
    ("pt", "apelo traduzir {ref} espanhol título", "apelo atualizar {ref} prazo"),
]


@pytest.mark.parametrize(("language", "title", "deadline"), APPEAL_EDITS)
async def test_appeal_fields_typed_natively(app: App, language: str, title: str, deadline: str) -> None:
    await setup_network(app)
    await draft(app, chat(app, "sam"))
    who = SECRETARIAT[language]
    await speaks(app, who, language)
    t = translator(language)
    person = chat(app, who)
    await person.say(
        typed(t.pgettext("command", "appeal"), t.pgettext("subcommand", "translate"), APPEAL, "es")
    )
    for answer in ("Defensora detenida", "Ana López fue detenida.", "Escriban al Fiscal General."):
        await person.say(answer)
    [question] = await person.say(title.format(ref=APPEAL))
    assert question.startswith(
        t.gettext(
            "{reference} in {language}. {question} (or CANCEL)",
            reference=APPEAL,
            language=t.language_name("es"),
            question=t.gettext("Title?"),
        )
    )
    [saved] = await person.say("Defensora detenida en Guatemala")
    assert t.language_name("es") in saved
    async with app.sessions() as session:
        spanish = (await session.execute(select(AppealText).where(AppealText.language == "es"))).scalar_one()
    assert (spanish.title, spanish.what_happened) == (
        "Defensora detenida en Guatemala",
        "Ana López fue detenida.",
    )
    [question] = await person.say(deadline.format(ref=APPEAL))
    assert question.startswith(
        t.gettext("Deadline? Type a date as YYYY-MM-DD or YYYY-MM-DD HH:MM (your time), or - for none.")
    )


@pytest.mark.parametrize("language", ["en", "es", "fr", "ar", "pt"])
async def test_hints_in_replies_use_the_readers_command_words(app: App, language: str) -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    who = SECRETARIAT[language]
    await speaks(app, who, language)
    t = translator(language)
    person = chat(app, who)
    await person.say(
        typed(t.pgettext("command", "appeal"), t.pgettext("subcommand", "translate"), APPEAL, "es")
    )
    for answer in ("Defensora detenida", "Ana López fue detenida."):
        await person.say(answer)
    [saved] = await person.say("Escriban al Fiscal General.")
    await person.say(typed(t.pgettext("command", "letter"), t.pgettext("subcommand", "new")))
    for answer in ("Fiscal General", "Pedimos justicia.", "-"):
        await person.say(answer)
    [letter] = await person.press(t.gettext("Organisations"))
    [help_] = await person.say(t.pgettext("command", "help"))
    appeal_word = t.pgettext("command", "appeal").upper()
    help_lines = {line.split(" — ")[0].strip("• \u2068\u2069\u200f"): line for line in help_.split("\n")}
    appeals, letters = (help_lines[t.pgettext("command", name).upper()] for name in ("appeal", "letter"))
    for reply, command, words in (
        (saved, "appeal", ("translate", "target", "preview", "send")),
        (letter, "letter", ("translate", "target", "preview", "publish")),
        (appeals, "appeal", ("new", "translate", "preview", "target", "send", "status")),
        (letters, "letter", ("new", "translate", "edit", "target", "preview", "publish", "status")),
    ):
        assert t.pgettext("command", command).upper() in reply, (command, reply)
        for word in words:
            assert t.pgettext("subcommand", word) in reply, (word, reply)
            if language != "en":
                assert f" {word}," not in reply and f" {word} " not in reply, (word, reply)
    assert appeal_word in help_


async def test_a_second_signature_of_ones_own_is_a_whole_sentence(app: App) -> None:
    await people(app)
    async with app.sessions() as session, session.begin():
        letter = await LetterRepository(session).create(2, "The Minister")
        letter.signing_mode, letter.status = "individuals", "published"
    expected = {
        "lucia": f"Ya firmó {letter.reference}.",
        "awa": f"Vous avez déjà signé {letter.reference}.",
        "rafael": f"Você já assinou {letter.reference}.",
        "karim": "سبق أن وقّعت على \u2068" + letter.reference + "\u2069.",
        "joseph": f"You have already signed {letter.reference}.",
    }
    for who, sentence in expected.items():
        person = chat(app, who)
        for _ in range(2):
            await person.press_button(Button("Sign", "sign", str(letter.id)))
            await person.say(who.title())
            [done] = await person.press(1)
        assert done == sentence, who


async def reported(app: App) -> str:
    await people(app)
    reporter = await full_report(app, "rafael")
    await reporter.press_button(send_button(reporter))  # type: ignore[attr-defined]
    return f"SOS-{YEAR}-0001"


# (language, STATUS REF <status>, the status set, CASES filters that find the new, urgent case in Brazil)
STATUSES = [
    ("es", "/estado {ref} EN TRIAJE", "triage", ["nueva", "PELIGRO INMEDIATO", "urgente", "brasil"]),
    ("fr", "/statut {ref} verifiee", "verified", ["NOUVEAU", "danger immediat", "Brésil"]),
    ("ar", "/وضع {ref} مغلقه", "closed", ["جديده", "خطر داهم", "عاجله", "البرازيل"]),
    ("pt", "/situacao {ref} Resolvida", "resolved", ["NOVA", "perigo imediato", "Brasil"]),
]


@pytest.mark.parametrize(("language", "status", "key", "filters"), STATUSES)
async def test_statuses_and_case_filters_typed_natively(
    app: App, language: str, status: str, key: str, filters: list[str]
) -> None:
    reference = await reported(app)
    who = SECRETARIAT[language]
    await speaks(app, who, language)
    t = translator(language)
    person = chat(app, who)
    first = t.ngettext(
        "{n} case, page {page} of {pages}:", "{n} cases, page {page} of {pages}:", 1, page=1, pages=1
    )
    cases = t.pgettext("command", "cases")
    for word in filters:
        [listing] = await person.say(typed(f"/{cases}", word))
        assert listing.startswith(first), word
    [changed] = await person.say(status.format(ref=reference))
    async with app.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.status == key, changed


# (member, language, SUBSCRIBE with regions and working groups named natively)
SUBSCRIPTIONS = [
    ("lucia", "es", "/suscribirse africa, Mujeres y DESC"),
    ("awa", "fr", "/abonner Afrique femmes et desc"),
    ("joseph", "ar", "/اشتراك افريقيا النساء والحقوق الاقتصاديه والاجتماعيه والثقافيه"),
    ("joseph", "pt", "/inscrever ÁFRICA Mulheres e DESC"),
]


@pytest.mark.parametrize(("who", "language", "typed"), SUBSCRIPTIONS)
async def test_subscribe_to_regions_and_groups_typed_natively(
    app: App, who: str, language: str, typed: str
) -> None:
    await people(app)
    await speaks(app, who, language)
    t = translator(language)
    [confirmation] = await chat(app, who).say(typed)
    assert confirmation == t.gettext(
        "You will receive urgent appeals for: {choice}. Type UNSUBSCRIBE to stop.",
        choice=t.pgettext("list separator", ", ").join([t.gettext("Africa"), t.gettext("Women and ESCR")]),
    )
    async with app.sessions() as session:
        row = (await session.execute(select(Subscription))).scalar_one()
    assert (row.regions, row.working_groups) == (["africa"], ["women-escr"])
    [unknown] = await chat(app, who).say(typed + " xyz")
    assert "women-escr" not in unknown and "mena" not in unknown
    assert t.gettext("Middle East and North Africa") in unknown
