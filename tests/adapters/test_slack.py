"""The Slack adapter on the real slack-bolt and slack-sdk, against the Web API emulator and signed requests."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import ChatKind, ChatRef, Edit, OutgoingMessage
from bot.core.i18n import translator
from storage.models import Person, ProcessedEvent
from storage.repositories import Store
from tests.rigs import MARIA, SAM, SlackRig

DM_MARIA, DM_SAM = "DU0MARIA", "DU0SAM"


async def _answered(rig: SlackRig, channel: str, count: int = 1) -> None:
    await rig.emulator.wait_for(lambda: len(rig.emulator.messages_in(channel)) >= count)


async def test_slash_command_and_language_button(slack: SlackRig) -> None:
    emulator = slack.emulator
    assert await emulator.slash(MARIA, "start") == 200
    await _answered(slack, DM_MARIA)
    greeting = emulator.last_message(DM_MARIA)
    assert greeting.text.startswith("Hola María, este es el bot SOS")  # users.info locale es-ES
    assert [b["text"]["text"] for b in greeting.buttons()] == [
        "English",
        "Español",
        "Français",
        "العربية",
        "Português",
    ]
    assert await emulator.press(MARIA, greeting, "Português") == 200
    await emulator.wait_for(lambda: emulator.last_message(DM_MARIA).edited)
    assert emulator.last_message(DM_MARIA).text == "A partir de agora vou escrever para você em Português."
    assert len(emulator.calls_to("users.info")) == 1  # read once, then cached
    async with slack.app.sessions() as session:
        assert (await session.execute(select(Person.language))).scalar_one() == "pt"


async def test_a_member_the_bot_knows_costs_no_users_info(slack: SlackRig) -> None:
    emulator = slack.emulator
    async with slack.app.sessions() as session, session.begin():
        person, _ = await Store(session).persons.get_or_create(
            "slack", emulator.team_id, SAM.id, "Samira Haddad", private_chat_id=DM_SAM
        )
        person.language = "ar"
    assert await emulator.slash(SAM, "start") == 200
    await _answered(slack, DM_SAM)
    greeting = emulator.last_message(DM_SAM).text
    hello = translator("ar").gettext(
        "Hello {name}, this is the SOS bot of the network's Solidarity System.", name="Samira Haddad"
    )
    assert greeting.startswith(hello)  # the name the bot keeps, in the language the member chose
    assert emulator.calls_to("users.info") == []  # a burst of known members makes no platform call per person


async def test_a_member_who_never_chose_a_language_costs_no_users_info_after_a_restart(
    slack: SlackRig,
) -> None:
    """The locale users.info gave before is kept with the identity: the process's own cache is empty here."""
    emulator = slack.emulator
    async with slack.app.sessions() as session, session.begin():
        person, _ = await Store(session).persons.get_or_create(
            "slack", emulator.team_id, SAM.id, "Samira Haddad", language_hint="ar", private_chat_id=DM_SAM
        )
        assert person.language is None  # never chose one
    assert await emulator.slash(SAM, "start") == 200
    await _answered(slack, DM_SAM)
    hello = translator("ar").gettext(
        "Hello {name}, this is the SOS bot of the network's Solidarity System.", name="Samira Haddad"
    )
    assert emulator.last_message(DM_SAM).text.startswith(hello)  # in the language Slack gave before
    assert emulator.calls_to("users.info") == []


async def test_direct_messages_with_localised_words_and_escaping(slack: SlackRig) -> None:
    emulator = slack.emulator
    await emulator.user_says(SAM, "JOIN")
    await _answered(slack, DM_SAM)
    await emulator.user_says(SAM, "<!channel> *Tierra* & <https://evil.example|click>")
    await _answered(slack, DM_SAM, 2)
    answer = emulator.last_message(DM_SAM)
    assert answer.text == (
        "In which country is &lt;!channel&gt; *Tierra* &amp; &lt;https://evil.example|click&gt; based?"
    )


async def test_bad_or_stale_signatures_are_refused(slack: SlackRig) -> None:
    emulator = slack.emulator
    assert await emulator.slash(SAM, "help", bad_signature=True) == 401
    assert await emulator.slash(SAM, "help", stale=True) == 401
    assert emulator.calls_to("chat.postMessage") == []
    async with slack.app.sessions() as session:
        assert (await session.execute(select(ProcessedEvent))).scalars().all() == []


async def test_a_retried_event_is_processed_once(slack: SlackRig) -> None:
    emulator = slack.emulator
    event = {
        "type": "message",
        "channel": DM_SAM,
        "channel_type": "im",
        "user": SAM.id,
        "text": "help",
        "ts": "1.1",
    }
    await emulator.send_event(event, event_id="Ev0RETRY")
    await _answered(slack, DM_SAM)
    await emulator.send_event(event, event_id="Ev0RETRY", retry_num=1)
    await emulator.send_event(event, event_id="Ev0RETRY", retry_num=2)
    await emulator.user_says(SAM, "/cancel")  # a marker: once answered, the retries were handled before it
    await _answered(slack, DM_SAM, 2)
    texts = [m.text for m in emulator.messages_in(DM_SAM)]
    assert texts[0].startswith("You are registered as: defender.")
    assert texts[1:] == ["There is nothing to cancel."]


async def test_a_form_without_handler_is_answered(slack: SlackRig) -> None:
    await slack.emulator.submit_view(MARIA, "report", {"what": "x"})
    await _answered(slack, DM_MARIA)
    assert (
        slack.emulator.last_message(DM_MARIA).text
        == "Este formulario ha caducado. Empiece de nuevo, por favor."
    )


async def test_channel_chatter_is_ignored_and_mentions_are_commands(slack: SlackRig) -> None:
    emulator = slack.emulator
    await emulator.user_says(SAM, "hello team", channel="C0NETWORK")
    event = {
        "type": "app_mention",
        "channel": "C0NETWORK",
        "user": SAM.id,
        "text": "<@U0BOT> join",
        "ts": "2.1",
    }
    await emulator.send_event(event)
    await _answered(slack, "C0NETWORK")
    assert [m.text for m in emulator.messages_in("C0NETWORK")] == [
        "Please write to me in a private chat for this."
    ]


def _message(text: str = "Urgent appeal") -> OutgoingMessage:
    return OutgoingMessage(ChatRef("slack", "C0APPEALS", "T0SANDBOX", ChatKind.GROUP), text)


async def test_injected_failures_become_neutral_delivery_errors(slack: SlackRig) -> None:
    emulator, adapter = slack.emulator, slack.adapter
    cases = [
        ("429", {"retry_after": 9}, FailureKind.RATE_LIMITED),
        ("channel_not_found", {}, FailureKind.NOT_FOUND),
        ("not_in_channel", {}, FailureKind.NOT_FOUND),
        ("is_archived", {}, FailureKind.NOT_FOUND),
        ("account_inactive", {}, FailureKind.BLOCKED),
        ("500", {}, FailureKind.TRANSIENT),
        ("503", {}, FailureKind.TRANSIENT),
        ("slow", {"delay": 2.5}, FailureKind.TRANSIENT),
        ("msg_too_long", {}, FailureKind.REJECTED),
    ]
    for kind, options, expected in cases:
        emulator.inject("chat.postMessage", kind, **options)
        try:
            await adapter.send(_message())
        except DeliveryError as error:
            assert error.kind == expected, kind
            if expected == FailureKind.RATE_LIMITED:
                assert error.retry_after == 9
        else:
            raise AssertionError(f"{kind} did not fail")
    ts = await adapter.send(_message())
    await adapter.edit(Edit(ChatRef("slack", "C0APPEALS", "T0SANDBOX"), ts, "Urgent appeal (updated)"))
    assert emulator.last_message("C0APPEALS").text == "Urgent appeal (updated)"


async def test_a_failing_reply_does_not_stop_the_bot(slack: SlackRig) -> None:
    emulator = slack.emulator
    emulator.inject("chat.postMessage", "500")
    await emulator.user_says(SAM, "help")
    await emulator.wait_for(lambda: len(emulator.calls_to("chat.postMessage")) >= 1)
    await emulator.user_says(SAM, "help")
    await _answered(slack, DM_SAM)
    assert emulator.last_message(DM_SAM).text.startswith("You are registered as: defender.")


async def test_long_texts_are_split_within_slack_limits(slack: SlackRig) -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))
    await slack.adapter.send(_message(text))
    [message] = slack.emulator.messages_in("C0APPEALS")
    sections = [b["text"]["text"] for b in message.blocks]
    assert len(sections) == 4 and all(len(s) <= 3000 for s in sections)
    assert "\n".join(sections) == text


async def test_socket_mode_is_chosen_when_an_app_token_is_set(sqlite_url: str) -> None:
    from bot.adapters.slack import build_slack_adapter
    from bot.app import build_app
    from tests.conftest import make_settings

    app = build_app(make_settings(sqlite_url, slack_bot_token="xoxb-1", slack_app_token="xapp-1"))
    adapter = build_slack_adapter(app)
    assert adapter.routes() == []  # no /slack/events: Slack is reached over the socket instead
    http = build_slack_adapter(
        build_app(make_settings(sqlite_url, slack_bot_token="xoxb-1", slack_signing_secret="s"))
    )
    assert [route.path for route in http.routes()] == ["/slack/events"]  # type: ignore[attr-defined]
    await app.close()


async def test_join_opens_a_modal_on_slack_and_its_submission_registers(slack: SlackRig) -> None:
    emulator = slack.emulator
    await emulator.slash(MARIA, "join")
    await emulator.wait_for(lambda: len(emulator.views) == 1)
    [view] = emulator.views
    assert view["type"] == "modal" and view["callback_id"] == "form.join"
    assert view["title"]["text"] == "Su organización"
    assert [b["block_id"] for b in view["blocks"]] == ["name", "country"]
    await emulator.submit_view(MARIA, "form.join", {"name": "Colectivo Tierra", "country": "Guatemala"})
    await _answered(slack, DM_MARIA)
    assert emulator.last_message(DM_MARIA).text.startswith(
        "Gracias. Ahora figura como miembro de Colectivo Tierra."
    )
    async with slack.app.sessions() as session:
        from storage.models import Organisation

        organisation = (await session.execute(select(Organisation))).scalar_one()
    assert (organisation.name, organisation.country, organisation.verified) == (
        "Colectivo Tierra",
        "Guatemala",
        False,
    )
