"""A case read from a triage group on Telegram and a triage channel on Slack: the details land only in the
asking member's private chat; the group's history (what the platform keeps) holds a short note."""

from __future__ import annotations

from bot.adapters.emulators.slack import SlackEmulator
from bot.adapters.emulators.telegram import TelegramEmulator
from bot.app import App
from storage.cases import CaseRepository
from tests.adapters.test_appeals_e2e import GROUP, SAM, TG_SECRETARIAT, network, sam

__all__ = ["network"]
STORY = "Police raided the community radio at dawn and took the transmitter."
CONTACT = "+57 300 000 0000 via Signal"
SLACK_TRIAGE = "C0TRIAGE"


async def test_case_details_never_reach_a_group_on_either_platform(
    network: tuple[App, TelegramEmulator, SlackEmulator],
) -> None:
    app, telegram, slack = network
    async with app.sessions() as session, session.begin():
        case = await CaseRepository(session).create(
            threat_type="attack",
            country="Colombia",
            urgency="immediate",
            what_happened=STORY,
            contact=CONTACT,
        )
        reference = case.reference
    await telegram.user_says(TG_SECRETARIAT, "/help")  # Amina's private chat with the bot
    await telegram.wait_for(lambda: len(telegram.messages_in(TG_SECRETARIAT.id)) == 1)
    group = telegram.group(GROUP, "Triage")
    await telegram.user_says(TG_SECRETARIAT, "/channel triage", group)
    await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 1)
    await telegram.user_says(TG_SECRETARIAT, f"/case {reference}", group)
    await telegram.wait_for(lambda: len(telegram.messages_in(TG_SECRETARIAT.id)) == 2)
    await telegram.wait_for(lambda: len(telegram.messages_in(GROUP)) == 2)
    assert telegram.last_message(GROUP).text == "\u200fأرسلتُه إليك على انفراد."
    assert STORY in (telegram.last_message(TG_SECRETARIAT.id).text or "")
    for message in telegram.messages_in(GROUP, from_bot=True):
        assert STORY not in (message.text or "") and CONTACT not in (message.text or "")

    await sam(slack, "help")  # Sam's DM with the bot
    mention = {"type": "app_mention", "channel": SLACK_TRIAGE, "user": SAM.id, "text": "<@U0BOT> channel triage",
               "ts": "1.1"}  # fmt: skip
    await slack.send_event(mention)
    await slack.wait_for(lambda: len(slack.messages_in(SLACK_TRIAGE)) == 1)
    dm = slack.dm_channel(SAM)
    before = len(slack.messages_in(dm))
    await slack.slash(SAM, f"case {reference}", channel=SLACK_TRIAGE)
    await slack.wait_for(lambda: len(slack.messages_in(dm)) > before)
    await slack.wait_for(lambda: len(slack.messages_in(SLACK_TRIAGE)) == 2)
    assert slack.last_message(SLACK_TRIAGE).text == "Sent to you privately."
    assert STORY in slack.last_message(dm).text and CONTACT in slack.last_message(dm).text
    assert all(STORY not in m.text for m in slack.messages_in(SLACK_TRIAGE))
