"""Locale resolution, CLDR plurals (Arabic's six forms), dates in the person's timezone, bidi isolation."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from bot.core import i18n_check
from bot.core.i18n import DOMAIN, FSI, LOCALES_DIR, PDI, Translator, resolve_locale
from bot.core.plural_forms import CLDR_ORDER, fix_header
from tests.clock import YEAR

COUNTS = (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 1000)


def test_locale_priority_saved_then_hint_then_default() -> None:
    assert resolve_locale("fr", "es-ES", "en") == "fr"
    assert resolve_locale(None, "pt-BR", "en") == "pt"
    assert resolve_locale(None, "es_MX", "en") == "es"
    assert resolve_locale(None, "de-DE", "ar") == "ar"
    assert resolve_locale(None, None, "en") == "en"


def test_arabic_has_six_distinct_plural_forms() -> None:
    t = Translator("ar")
    forms = {n: t.ngettext("{n} person:", "{n} people:", n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values()) - {""}) >= 5  # 0,1,2,few,many,other; some forms may coincide in wording
    assert all(f"{FSI}{n}{PDI}" in forms[n] for n in (3, 11, 100))  # a number inside Arabic text is isolated
    assert not any(str(n) in forms[n] for n in (0, 1, 2))  # zero, one and two say it in words, not "(1)"


def _plural_messages(language: str) -> list[tuple[str, str, tuple[str, ...]]]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return [(m.id[0], m.id[1], tuple(m.string)) for m in catalog if isinstance(m.id, tuple)]


def test_every_arabic_plural_message_takes_cldrs_form_for_each_count() -> None:
    t = Translator("ar")
    arabic = Locale("ar")
    order = [name for name in CLDR_ORDER if name in {arabic.plural_form(n) for n in range(1001)}]
    messages = _plural_messages("ar")
    assert len(messages) >= 25
    for singular, plural, forms in messages:
        values = {name: "X" for name in i18n_check._placeholders(singular + plural) if name and name != "n"}
        for n in COUNTS:
            expected = t.gettext(forms[order.index(arabic.plural_form(n))], n=n, **values)
            assert t.ngettext(singular, plural, n, **values) == expected, (singular, n, arabic.plural_form(n))


def test_arabic_counts_from_eleven_up_are_grammatical() -> None:
    t = Translator("ar")
    assert t.ngettext("{n} person said they acted.", "{n} people said they acted.", 15) == (
        "قال \u206815\u2069 شخصًا إنهم تحرّكوا."
    )
    assert t.ngettext("{n} person said they acted.", "{n} people said they acted.", 100) == (
        "قال \u2068100\u2069 شخص إنهم تحرّكوا."
    )


def test_portuguese_counts_zero_as_singular_like_cldr() -> None:
    assert Locale("pt").plural_form(0) == "one"
    assert Translator("pt").ngettext("{n} report:", "{n} reports:", 0) == Translator("pt").ngettext(
        "{n} report:", "{n} reports:", 1
    ).replace("1", "0")


def test_the_check_refuses_babels_arabic_plural_header(tmp_path: Path) -> None:
    planted = tmp_path / "ar" / "LC_MESSAGES"
    planted.mkdir(parents=True)
    source = LOCALES_DIR / "ar" / "LC_MESSAGES" / f"{DOMAIN}.po"
    text = source.read_text(encoding="utf-8")
    header = text[text.index('"Plural-Forms:') : text.index('"MIME-Version')]
    # The header Babel up to 2.18 wrote for Arabic (its issue #816); Babel 2.19 writes CLDR's order itself.
    babel_header = (
        '"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "\n'
        '"n%100>=3 && n%100<=10 ? 3 : n%100>=0 && n%100<=2 ? 4 : 5);\\n"\n'
    )
    (planted / f"{DOMAIN}.po").write_text(text.replace(header, babel_header), encoding="utf-8")
    wanted = i18n_check.extracted()
    assert i18n_check.check_catalogue("ar", wanted) == []
    problems = i18n_check.check_catalogue("ar", wanted, tmp_path)
    assert problems == ["ar: Plural-Forms chooses a form other than CLDR's for n = 11, 12, 13, 14, 15…"]


def test_make_i18n_puts_the_cldr_header_back(tmp_path: Path) -> None:
    po = tmp_path / f"{DOMAIN}.po"
    shutil.copyfile(LOCALES_DIR / "ar" / "LC_MESSAGES" / f"{DOMAIN}.po", po)
    text = po.read_text(encoding="utf-8")
    header = text[text.index('"Plural-Forms:') : text.index('"MIME-Version')]
    po.write_text(
        text.replace(
            header,
            '"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "\n"n%100>=3 && n%100<=10 ? 3 : n%100>=0 && n%100<=2 ? 4 : 5);\\n"\n',
        ),
        encoding="utf-8",
    )
    assert fix_header(po, "ar") is True
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    assert catalog.plural_expr.endswith("n%100>=11 ? 4 : 5)")
    assert fix_header(po, "ar") is False


def test_the_check_refuses_gettext_inside_an_f_string(tmp_path: Path) -> None:
    module = tmp_path / "export.py"
    module.write_text(
        "def page(t, n):\n"
        "    heading = t.ngettext('{n} signatory', '{n} signatories', n)\n"
        '    return f\'<h2>{heading}</h2><p>{t.gettext("Signatories")}</p>{_("x")}\'\n'
    )
    assert list(i18n_check.gettext_in_fstrings([module])) == [
        "export.py:3: gettext() inside an f-string",
        "export.py:3: _() inside an f-string",
    ]
    assert list(i18n_check.gettext_in_fstrings()) == []


def test_english_and_spanish_plurals() -> None:
    assert Translator("en").ngettext("{n} person:", "{n} people:", 1) == "1 person:"
    assert Translator("en").ngettext("{n} person:", "{n} people:", 1200) == "1,200 people:"
    assert Translator("es").ngettext("{n} person:", "{n} people:", 2).startswith("2 ")


def test_values_are_isolated_only_in_right_to_left_text() -> None:
    msgid = "In which country is {organisation} based?"
    arabic = Translator("ar").gettext(msgid, organisation="ProDESC")
    assert f"{FSI}ProDESC{PDI}" in arabic
    assert FSI not in Translator("en").gettext(msgid, organisation="ProDESC")


@pytest.mark.parametrize(
    ("language", "zone", "expected"), [("en", "America/Mexico_City", "6:30"), ("fr", None, "12:30")]
)
def test_dates_in_the_persons_timezone(language: str, zone: str | None, expected: str) -> None:
    moment = datetime(YEAR, 11, 23, 12, 30, tzinfo=UTC)
    assert expected in Translator(language, zone).format_datetime(moment, "short")


def test_catalogues_are_complete_and_no_literal_reaches_a_person() -> None:
    assert i18n_check.main() == 0
    assert list(i18n_check.untranslated_literals()) == []


def test_the_literal_check_catches_a_hard_coded_reply(tmp_path) -> None:  # type: ignore[no-untyped-def]
    module = tmp_path / "feature.py"
    module.write_text(
        'async def h(ctx, event):\n    ctx.reply("Hello")\n    ctx.reply(ctx._("Hello"))\n    Button(f"x{1}", "a")\n'
    )
    found = list(i18n_check.untranslated_literals([module]))
    assert found == [
        "feature.py:2: literal text given to reply()",
        "feature.py:4: literal text given to Button()",
    ]


def test_right_to_left_signs_marks_and_latin_words_exactly() -> None:
    """«#12» stays one isolate; a line that starts with a value starts with U+200F; Latin words are isolated."""
    ar = Translator("ar")
    assert ar.gettext(
        "#{id} {title} will no longer receive anything from the bot.", id=12, title="Grupo"
    ) == ("لن تتلقى \u2068#12\u2069 \u2068Grupo\u2069 أي شيء من البوت بعد الآن.")
    assert ar.gettext("{reference} — {title} ({status})", reference="UA-1", title="t", status="x") == (
        "\u200f\u2068UA-1\u2069 — \u2068t\u2069 (\u2068x\u2069)"
    )
    assert ar.gettext("Usage: {usage}", usage="نداء إرسال") == "الاستخدام: \u2068نداء إرسال\u2069"
    from bot.core.i18n import isolate_latin

    assert (
        isolate_latin("بوت SOS. اكتب {reference} أو UA-…")
        == "بوت \u2068SOS\u2069. اكتب {reference} أو \u2068UA-…\u2069"
    )


def test_right_to_left_content_is_isolated_in_left_to_right_replies() -> None:
    en = Translator("en")
    assert en.gettext("{reference} is now: {status}.", reference="SOS-1", status="لبنان, طرابلس") == (
        "SOS-1 is now: \u2068لبنان, طرابلس\u2069."
    )
    assert en.gettext("#{id} {name}", id=3, name="Elena") == "#3 Elena"  # nothing changes for Latin text


def test_command_and_subcommand_words_come_from_the_router_declarations() -> None:
    from bot.core.i18n_extract import router_words

    source = (
        'router = Router()\nappeal = router.group("appeal")\n@appeal.sub("send", usage=N_("REF"))\n'
        'async def f(ctx, args): re.sub("a", "b", "c")\nrouter.command("help")(f)\n'
    )
    assert sorted(w[1:] for w in router_words(source)) == [
        ("command", "appeal"),
        ("command", "help"),
        ("subcommand", "send"),
    ]
    import bot.core.commands

    assert not hasattr(bot.core.commands, "COMMAND_WORDS")  # one registry: the router's


def test_subcommand_words_that_fold_alike_are_refused() -> None:
    from bot.core import i18n_check

    problems = i18n_check.subcommand_word_problems("appeal", ["followup", "follow-up"])
    assert "appeal: en: subcommands 'followup' and 'follow-up' are both typed as 'followup'" in problems[0]
    assert i18n_check.command_word_problems() == []  # the bot's own groups are unambiguous in every language
