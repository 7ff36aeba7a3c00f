"""A collective letter on both platforms: published to a Telegram group and a Slack channel, signed from a
Sign button pressed in the group (confirmed in private), and the count edited in place everywhere."""

from __future__ import annotations

from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.app import App
from tests.adapters.test_appeals_e2e import GROUP, SAM, TG_SECRETARIAT, network, sam, sam_presses
from tests.clock import YEAR

__all__ = ["network"]
ANA = User(9003, "Ana", "es")


async def test_letter_signed_from_a_group_and_counted_everywhere(
    network: tuple[App, TelegramEmulator, SlackEmulator],
) -> None:
    _app, telegram, slack = network
    group = telegram.group(GROUP, "Red DESC Américas")
    await telegram.user_says(TG_SECRETARIAT, "/channel member es americas", group)
    mention = {
        "type": "app_mention",
        "channel": "C0AFRICA",
        "user": SAM.id,
        "text": "<@U0BOT> channel member fr africa",
        "ts": "1.1",
    }
    await slack.send_event(mention)
    await slack.wait_for(lambda: len(slack.messages_in("C0AFRICA")) == 1)

    # Ana joins from Telegram; the secretariat verifies her organisation from Slack.
    for text in ("/join", "Colectivo Tierra", "Guatemala"):
        before = len(telegram.messages_in(ANA.id))
        await telegram.user_says(ANA, text)
        await telegram.wait_for(lambda before=before: len(telegram.messages_in(ANA.id)) > before)
    assert (await sam(slack, "verify 1 all", slash=True)).startswith(
        "Colectivo Tierra is verified.\n1 member of Colectivo Tierra confirmed: #"
    )

    await sam(slack, "letter new", slash=True)
    await sam(slack, "Attorney General of Guatemala")
    await sam(slack, "We call for the release of Ana López.")
    await sam(slack, "-")
    dm = slack.dm_channel(SAM)
    before = len(slack.calls_to("chat.update"))
    await slack.press(SAM, slack.last_message(dm), "Organisations")
    await slack.wait_for(lambda: len(slack.calls_to("chat.update")) > before)
    await slack.slash(SAM, f"letter publish CL-{YEAR}-001")  # the preview, one message per language, then:
    await slack.wait_for(lambda: slack.last_message(dm).text == f"Publish CL-{YEAR}-001 as shown above?")
    await sam_presses(slack, "Publish", f"CL-{YEAR}-001 goes to 2 targets.")
    await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 2, timeout=5)
    await slack.wait_for(lambda: len(slack.messages_in("C0AFRICA")) == 2, timeout=5)
    copy = telegram.last_message(GROUP)
    assert copy.text.startswith(f"✍️ Carta colectiva CL-{YEAR}-001\nA: Attorney General of Guatemala")
    assert slack.last_message("C0AFRICA").text.startswith(f"✍️ Lettre collective CL-{YEAR}-001")

    # Ana presses Sign in the group: the confirmation comes to her private chat, not the group.
    before = len(telegram.messages_in(ANA.id))
    await telegram.press_button(ANA, copy, "Firmar")
    await telegram.wait_for(lambda: len(telegram.messages_in(ANA.id)) > before)
    confirmation = telegram.last_message(ANA.id)
    assert (
        confirmation.text
        == "Esto publicará: Colectivo Tierra (Guatemala). Su nombre solo se muestra si así lo elige."
    )
    assert [m.text for m in telegram.messages_in(GROUP)][
        -1
    ] == copy.text  # nothing personal posted in the group
    await telegram.press_button(ANA, confirmation, "Firmar por Colectivo Tierra")
    await telegram.wait_for(lambda: telegram.last_message(ANA.id).text.startswith("Firmado."))

    # The count lands on every copy within the 10-second window.
    await telegram.wait_for(
        lambda: telegram.last_message(GROUP).text.endswith("1 organización ha firmado."), timeout=15
    )
    await slack.wait_for(
        lambda: slack.last_message("C0AFRICA").text.endswith("1 organisation a signé."), timeout=5
    )

    # The secretariat exports it as files in chat, on both platforms.
    await sam(slack, f"letter export CL-{YEAR}-001", slash=True)
    await slack.wait_for(lambda: len([u for u in slack.uploads if u.get("content")]) == 2)
    files = {u["filename"]: u["content"] for u in slack.uploads}
    assert files[f"CL-{YEAR}-001.csv"].decode().splitlines()[1].startswith("Colectivo Tierra,Guatemala,,")
    assert b'<html lang="en" dir="ltr">' in files[f"CL-{YEAR}-001.html"]
    await telegram.user_says(TG_SECRETARIAT, f"/letter export CL-{YEAR}-001")
    await telegram.wait_for(
        lambda: len([m for m in telegram.messages_in(TG_SECRETARIAT.id) if m.document]) == 2
    )
    documents = [m.document for m in telegram.messages_in(TG_SECRETARIAT.id) if m.document]
    assert documents == [f"CL-{YEAR}-001.csv", f"CL-{YEAR}-001.html"]
