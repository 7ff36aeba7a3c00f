"""Subcommands and values typed as a native speaker types them, in all five languages: the same behaviour as in
English (stored state, and each answer equal to the catalogue's translation of the English answer)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.i18n import translator
from storage.appeals import TWO_PERSON_RULE, setting
from storage.models import Appeal, Channel, Person
from tests.handlers.test_appeals import in_group
from tests.support import chat, people

# (secretariat member, language, SETTINGS two-person on, APPEAL list, APPEAL new, CHANNEL member Spanish Americas,
#  APPEAL target REF Africa) — accents, case, spaces, article and Arabic letter variants as people type them.
NATIVE = [
    ("sam", "en", "Settings Two Person ON", "APPEAL LIST", "appeal new", "channel member spanish americas",
     "appeal target {ref} africa"),
    ("sam", "es", "AJUSTES dos personas ACTIVADO", "llamamiento lista", "/Llamamiento Nuevo",
     "canal miembro ESPAÑOL Américas", "llamamiento destino {ref} África"),
    ("sam", "fr", "réglages deux-personnes activé", "APPEL LISTE", "appel nouveau",
     "canal membre espagnol Amériques", "appel destinataires {ref} Afrique"),
    ("amina", "ar", "الاعدادات شخصان مفعل", "نداء قائمه", "نداء جديد",
     "قناة اعضاء الاسبانيه الأمريكتان", "نداء استهداف {ref} افريقيا"),
    ("sam", "pt", "CONFIGURACOES duas pessoas ativado", "apelo lista", "Apelo NOVO",
     "canal membro espanhol Américas", "apelo destino {ref} África"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "language", "settings", "listing", "new", "member", "target"), NATIVE)
async def test_subcommands_typed_natively_behave_as_in_english(
    app: App, who: str, language: str, settings: str, listing: str, new: str, member: str, target: str
) -> None:
    await people(app)
    await speaks(app, who, language)
    t = translator(language)
    person = chat(app, who)
    assert await person.say(settings) == [t.gettext("The two-person rule for urgent appeals is on.")]
    async with app.sessions() as session:
        assert await setting(session, TWO_PERSON_RULE) == "on"
    assert await person.say(listing) == [t.ngettext("{n} appeal:", "{n} appeals:", 0)]

    group = in_group(app, who, f"g-{language}")
    assert await group.say("/" + member) == [
        t.gettext(
            "This chat is now a member channel ({details}).",
            details=t.pgettext("list separator", ", ").join([t.language_name("es"), t.gettext("Americas")]),
        )
    ]
    async with app.sessions() as session:
        row = (await session.execute(select(Channel))).scalar_one()
        assert (row.language, row.region) == ("es", "americas")

    assert await person.say(new) == [t.gettext("New urgent appeal. Title? (or CANCEL)")]
    await person.say("Título")
    await person.say("Hechos")
    await person.say("Acciones")
    await person.say("-")
    async with app.sessions() as session:
        appeal = (await session.execute(select(Appeal))).scalar_one()
    [summary, *_] = await person.say(target.format(ref=appeal.reference))
    assert f"({_isolated(t, t.gettext('Africa'))})" in summary
    async with app.sessions() as session:
        assert (await session.get(Appeal, appeal.id)).target == {"kind": "region", "value": "africa"}  # type: ignore[union-attr]


async def speaks(app: App, who: str, language: str) -> None:
    """``who`` reads ``language`` from now on (as if chosen with LANGUAGE)."""
    await chat(app, who).say("/start")
    async with app.sessions() as session, session.begin():
        for person in (await session.execute(select(Person))).scalars():
            if person.display_name and person.display_name.lower().startswith(who):
                person.language = language


def _isolated(t: object, value: str) -> str:
    return f"\u2068{value}\u2069" if getattr(t, "rtl", False) else value


@pytest.mark.parametrize("language", ["en", "es", "fr", "ar", "pt"])
async def test_usage_lines_are_generated_in_the_readers_language(app: App, language: str) -> None:
    await people(app)
    who = "amina" if language == "ar" else "sam"
    await speaks(app, who, language)
    t = translator(language)
    [usage] = await chat(app, who).say("/appeal")
    lines = usage.split("\n")
    assert lines[0] == t.gettext("Usage:")
    command = t.pgettext("command", "appeal").upper()
    for word in ("new", "translate", "send", "followup"):
        assert any(t.pgettext("subcommand", word) in line and command in line for line in lines[1:]), word
    if language == "ar":
        assert "new" not in usage and "REF" not in usage  # no English word is left in an Arabic usage line
    [one] = await chat(app, who).say(f"{t.pgettext('command', 'appeal')} {t.pgettext('subcommand', 'send')}")
    assert one == t.gettext(
        "Usage: {usage}", usage=f"{command} {t.pgettext('subcommand', 'send')} {t.gettext('REF')}"
    )


async def test_case_subcommands_and_off_in_arabic(app: App) -> None:
    await people(app)
    amina = chat(app, "amina")
    [usage] = await amina.say(
        "حاله SOS-1 ربط"
    )  # the case group's subject comes first; «ربط» needs a reference
    assert usage.startswith("الاستخدام:")
    group = in_group(app, "amina", "g-1")
    await group.say("/قناة فرز")
    assert await group.say("/القناة ايقاف") == [
        translator("ar").gettext("This chat will no longer receive anything from the bot.")
    ]
