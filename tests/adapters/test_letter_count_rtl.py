"""The live count of a collective letter, edited on Telegram: the Arabic group's copy stays right-to-left
after the edit (it still starts with U+200F), the Spanish group's stays left-to-right."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.app import App
from handlers import letter_common
from tests.adapters.test_appeals_e2e import GROUP, SAM, TG_SECRETARIAT, network, sam, sam_presses
from tests.clock import YEAR

__all__ = ["network"]
ANA = User(9003, "Ana", "es")
ARABIC_GROUP = -100888
RLM = "\u200f"


async def test_the_arabic_copy_keeps_its_direction_when_the_count_is_edited(
    network: tuple[App, TelegramEmulator, SlackEmulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(letter_common, "COUNT_WINDOW", timedelta(seconds=1))  # the edit lands sooner
    _app, telegram, slack = network
    spanish, arabic = telegram.group(GROUP, "Red DESC Américas"), telegram.group(ARABIC_GROUP, "شبكة المنطقة")
    await telegram.user_says(TG_SECRETARIAT, "/channel member es americas", spanish)
    await telegram.user_says(TG_SECRETARIAT, "/channel member ar mena", arabic)
    await telegram.wait_for(lambda: len(telegram.messages_in(ARABIC_GROUP)) == 1)
    for text in ("/join", "Colectivo Tierra", "Guatemala"):
        before = len(telegram.messages_in(ANA.id))
        await telegram.user_says(ANA, text)
        await telegram.wait_for(lambda before=before: len(telegram.messages_in(ANA.id)) > before)
    await sam(slack, "verify 1 all", slash=True)

    await sam(slack, "letter new", slash=True)
    await sam(slack, "Attorney General of Guatemala")
    await sam(slack, "We call for the release of Ana López.")
    await sam(slack, "-")
    dm = slack.dm_channel(SAM)
    before = len(slack.calls_to("chat.update"))
    await slack.press(SAM, slack.last_message(dm), "Organisations")
    await slack.wait_for(lambda: len(slack.calls_to("chat.update")) > before)
    await slack.slash(SAM, f"letter publish CL-{YEAR}-001")
    await slack.wait_for(lambda: slack.last_message(dm).text == f"Publish CL-{YEAR}-001 as shown above?")
    await sam_presses(slack, "Publish", f"CL-{YEAR}-001 goes to 2 targets.")
    await telegram.wait_for(lambda: len(telegram.messages_in(ARABIC_GROUP)) == 2, timeout=5)
    await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 2, timeout=5)
    arabic_copy = telegram.last_message(ARABIC_GROUP)
    assert arabic_copy.text.startswith(RLM) and not arabic_copy.edited

    await telegram.press_button(ANA, telegram.last_message(GROUP), "Firmar")
    await telegram.wait_for(lambda: telegram.last_message(ANA.id).text.startswith("Esto publicará"))
    await telegram.press_button(ANA, telegram.last_message(ANA.id), "Firmar por Colectivo Tierra")

    await telegram.wait_for(lambda: arabic_copy.edited, timeout=10)
    assert arabic_copy.text.startswith(RLM)
    assert arabic_copy.text.rstrip().endswith("وقّعت منظمة واحدة.")
    spanish_copy = telegram.last_message(GROUP)
    await telegram.wait_for(lambda: spanish_copy.edited, timeout=5)
    assert not spanish_copy.text.startswith(RLM)
    assert spanish_copy.text.endswith("1 organización ha firmado.")
