"""Rendering for Telegram and reading its updates: escaping, splitting, keyboards, commands, events."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.adapters.telegram.commands import menu_word, menus
from bot.adapters.telegram.convert import parse_command, to_event
from bot.adapters.telegram.render import (
    MAX_MESSAGE,
    RLM,
    html_parts,
    html_single,
    keyboard,
    parse_callback,
    split_plain,
    units,
)
from bot.core.events import ActionEvent, Actor, Button, ChatKind, CommandEvent, TextEvent
from handlers import build_router


def test_user_text_is_escaped_for_html() -> None:
    assert html_parts("<b>Tierra</b> & Libertad") == ["&lt;b&gt;Tierra&lt;/b&gt; &amp; Libertad"]
    assert html_parts('say "hi"') == ['say "hi"']  # quotes need no escaping outside attributes


def test_long_texts_split_on_line_boundaries() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))
    parts = split_plain(text)
    assert len(parts) == 3 and all(units(p) <= MAX_MESSAGE for p in parts)
    assert "\n".join(parts) == text
    assert all(not p.startswith("\n") and not p.endswith("\n") for p in parts)


def test_a_line_longer_than_a_message_is_cut_at_a_space() -> None:
    text = " ".join(["word"] * 2500)  # 12,499 characters, no line break
    parts = split_plain(text)
    assert all(units(p) <= MAX_MESSAGE for p in parts)
    assert "".join(parts) == text  # each cut keeps its space, so nothing is lost
    assert all(p.endswith(" ") for p in parts[:-1])


def test_limits_are_counted_in_utf16_like_telegram() -> None:
    text = "🚨" * 3000  # 3,000 characters, 6,000 UTF-16 units
    parts = split_plain(text)
    assert len(parts) == 2 and all(units(p) <= MAX_MESSAGE for p in parts)
    assert "".join(parts) == text


def test_right_to_left_parts_each_start_with_the_mark_and_stay_within_the_limit() -> None:
    text = "\n".join(["مرحبا بكم" * 50] * 20)
    parts = html_parts(text, rtl=True)
    assert len(parts) > 1
    assert all(p.startswith(RLM) and units(p) <= MAX_MESSAGE for p in parts)
    assert "\n".join(p.removeprefix(RLM) for p in parts) == text


def test_an_edit_too_long_for_one_message_is_cut_with_an_ellipsis() -> None:
    text = "\n".join(["a" * 100] * 60)
    single = html_single(text)
    assert units(single) <= MAX_MESSAGE and single.endswith("…")
    assert html_single("short <text>", rtl=True) == RLM + "short &lt;text&gt;"


def test_buttons_become_an_inline_keyboard_with_compact_callback_data() -> None:
    markup = keyboard(
        ((Button("Sign", "f.letter", "ab12cd34:yes"), Button("No", "f.letter", "ab12cd34:no")),)
    )
    assert markup is not None
    [[sign, no]] = markup.inline_keyboard
    assert (sign.text, sign.callback_data) == ("Sign", "f.letter:ab12cd34:yes")
    assert parse_callback(str(no.callback_data)) == ("f.letter", "ab12cd34:no")
    assert keyboard(()) is None
    with pytest.raises(ValueError):
        Button("Too long", "action", "x" * 64)  # the neutral model keeps callback data within 64 bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", ("start", ())),
        ("/help@sos_bot", ("help", ())),
        ("/HELP@SOS_BOT a b", ("help", ("a", "b"))),
        ("/language   es", ("language", ("es",))),
        ("/help@other_bot", None),
        ("/", None),
        ("/ start", None),
    ],
)
def test_commands_are_parsed(text: str, expected: tuple[str, tuple[str, ...]] | None) -> None:
    assert parse_command(text, "sos_bot") == expected


BOT = Bot("123:TEST")
USER = {"id": 42, "is_bot": False, "first_name": "Ana", "last_name": "Silva", "language_code": "pt-BR"}


def update(body: dict[str, Any], update_id: int = 7) -> Update:
    return Update.de_json({"update_id": update_id, **body}, BOT)


def text_message(text: str, chat: dict[str, Any]) -> dict[str, Any]:
    return {"message": {"message_id": 5, "date": 0, "chat": chat, "from": USER, "text": text}}


def test_a_command_becomes_a_command_event() -> None:
    event = to_event(update(text_message("/join@sos_bot now", {"id": 42, "type": "private"})), "sos_bot")
    assert isinstance(event, CommandEvent)
    assert (event.event_id, event.name, event.args) == ("tg:7", "join", ("now",))
    assert event.actor == Actor("telegram", "42", "", "Ana Silva", "pt-BR")
    assert event.chat.kind == ChatKind.PRIVATE and event.chat.chat_id == "42"


def test_text_becomes_a_text_event_and_supergroups_are_groups() -> None:
    chat = {"id": -1001, "type": "supergroup", "title": "Network"}
    event = to_event(update(text_message("hello", chat)), "sos_bot")
    assert isinstance(event, TextEvent)
    assert (event.text, event.message_id, event.chat.kind, event.chat.title) == (
        "hello",
        "5",
        ChatKind.GROUP,
        "Network",
    )
    assert to_event(update(text_message("/x@other_bot", chat)), "sos_bot") is None


def test_a_button_press_becomes_an_action_event() -> None:
    query = {
        "id": "q1",
        "from": USER,
        "chat_instance": "1",
        "data": "lang:es",
        "message": {
            "message_id": 9,
            "date": 1,
            "chat": {"id": -100, "type": "channel", "title": "C"},
            "text": "x",
        },
    }
    event = to_event(update({"callback_query": query}, 8))
    assert isinstance(event, ActionEvent)
    assert (event.event_id, event.action, event.payload, event.message_id) == ("tg:8", "lang", "es", "9")
    assert event.chat.kind == ChatKind.CHANNEL


def test_menus_use_localised_words_only_where_telegram_allows_them() -> None:
    assert menu_word("help", "es") == "ayuda"
    assert menu_word("help", "ar") == "help"  # مساعدة is not [a-z0-9_]
    all_menus = menus(build_router())
    assert set(all_menus) == {"en", "es", "fr", "ar", "pt"}
    for commands in all_menus.values():
        names = [c.command for c in commands]
        assert len(names) == len(set(names)) and "verify" not in names
