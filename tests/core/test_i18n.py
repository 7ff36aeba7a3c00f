"""Locale resolution, CLDR plurals (Arabic's six forms), dates in the person's timezone, bidi isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core import i18n_check
from bot.core.i18n import FSI, PDI, Translator, resolve_locale


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
    assert all(FSI in text and PDI in text for text in forms.values() if "{n}" not in text)


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
    moment = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
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
