"""The Bot API emulator itself, spoken to over plain HTTP: the answers and refusals the adapter relies on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.emulators.telegram import TelegramEmulator, User

ANA = User(7001, "Ana", "es")


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    server = TelegramEmulator()
    await server.start()
    yield server
    await server.stop()


async def call(
    emulator: TelegramEmulator, method: str, *, form: dict[str, Any] | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """One Bot API call as JSON (or as a form, the way python-telegram-bot sends it)."""
    url = f"{emulator.base_url}{emulator.token}/{method}"
    async with aiohttp.ClientSession() as session:
        if form is not None:
            request = session.post(url, data=form)
        else:
            request = session.post(url, json=params)
        async with request as response:
            return response.status, await response.json()


async def test_getme_and_unknown_tokens_and_methods(emulator: TelegramEmulator) -> None:
    assert await call(emulator, "getMe") == (200, {"ok": True, "result": emulator.bot_user})
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emulator.base_url}0:WRONG/getMe") as response:
            assert response.status == 401 and (await response.json())["description"] == "Unauthorized"
        async with session.get(f"{emulator.base_url}{emulator.token}/getChat?chat_id=5") as response:
            assert (await response.json())["description"] == "Bad Request: chat not found"
    status, body = await call(emulator, "noSuchMethod")
    assert (status, body["error_code"]) == (404, 404)


async def test_get_updates_confirms_by_offset_and_honours_the_timeout(emulator: TelegramEmulator) -> None:
    for text in ("one", "two", "three"):
        await emulator.user_says(ANA, text)
    _, body = await call(emulator, "getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["one", "two", "three"]
    first = body["result"][0]["update_id"]
    _, body = await call(emulator, "getUpdates", offset=first + 1, limit=1)
    assert [u["message"]["text"] for u in body["result"]] == ["two"]
    _, body = await call(emulator, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["three"]
    started = time.monotonic()
    _, body = await call(emulator, "getUpdates", offset=first + 3, timeout=0.3)
    assert body == {"ok": True, "result": []} and time.monotonic() - started >= 0.25


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(emulator: TelegramEmulator) -> None:
    poll = asyncio.create_task(call(emulator, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await emulator.user_says(ANA, "/start")
    _, body = await poll
    assert time.monotonic() - started < 1.0
    [update] = body["result"]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert update["message"]["from"]["language_code"] == "es"


async def test_stop_answers_a_pending_long_poll_at_once() -> None:
    server = TelegramEmulator()
    await server.start()
    poll = asyncio.create_task(call(server, "getUpdates", timeout=30))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 1.0
    await asyncio.gather(poll, return_exceptions=True)


async def test_form_bodies_are_decoded_like_the_real_api(emulator: TelegramEmulator) -> None:
    markup = {"inline_keyboard": [[{"text": "Sí", "callback_data": "lang:es"}]]}
    form = {"chat_id": "7001", "text": "123", "parse_mode": "HTML", "reply_markup": json.dumps(markup)}
    status, body = await call(emulator, "sendMessage", form=form)
    assert status == 200
    result = body["result"]
    assert result["text"] == "123" and result["chat"]["id"] == 7001 and result["reply_markup"] == markup
    assert result["from"]["is_bot"] is True
    assert emulator.calls_to("sendMessage")[0].params["chat_id"] == 7001


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>bold", "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        (
            "<script>x</script>",
            'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 0',
        ),
        ("1 < 2", "Bad Request: can't parse entities: Unexpected end of name token at byte offset 2"),
        ("", "Bad Request: message text is empty"),
        ("x" * 4097, "Bad Request: message is too long"),
    ],
)
async def test_html_the_api_would_refuse_is_refused(
    emulator: TelegramEmulator, text: str, description: str
) -> None:
    status, body = await call(emulator, "sendMessage", chat_id=1, text=text, parse_mode="HTML")
    assert (status, body["description"]) == (400, description)


async def test_escaped_html_is_shown_as_typed(emulator: TelegramEmulator) -> None:
    status, body = await call(
        emulator, "sendMessage", chat_id=1, text="&lt;b&gt; &amp; <b>bold</b>", parse_mode="HTML"
    )
    assert status == 200 and body["result"]["text"] == "<b> & bold"
    status, body = await call(emulator, "sendMessage", chat_id=1, text="&" * 4096 * 2, parse_mode=None)
    assert status == 400  # without a parse mode nothing is unescaped: 8,192 characters are too many


async def test_injected_failures_have_the_real_shapes(emulator: TelegramEmulator) -> None:
    emulator.inject("sendMessage", 429, chat_id=5, retry_after=5)
    emulator.inject("sendMessage", "migrated", chat_id=6, new_chat_id=-1006)
    emulator.inject("sendMessage", 403, times=2)
    assert await call(emulator, "sendMessage", chat_id=5, text="a") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 5",
            "parameters": {"retry_after": 5},
        },
    )
    status, body = await call(emulator, "sendMessage", chat_id=6, text="a")
    assert status == 400 and body["parameters"] == {"migrate_to_chat_id": -1006}
    for _ in range(2):
        status, body = await call(emulator, "sendMessage", chat_id=7, text="a")
        assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert (await call(emulator, "sendMessage", chat_id=7, text="a"))[0] == 200  # times=2 used up
    with pytest.raises(ValueError):
        emulator.inject("sendMessage", "teapot")


async def test_rate_limit_answers_report_whole_and_exact_seconds() -> None:
    server = TelegramEmulator(rate_limits=True, time_scale=0.01)
    await server.start()
    try:
        for _ in range(3):  # a short burst is allowed in a private chat
            assert (await call(server, "sendMessage", chat_id=1, text="a"))[0] == 200
        status, body = await call(server, "sendMessage", chat_id=1, text="b")
        assert status == 429 and body["parameters"]["retry_after"] == 1
        assert 0 < body["parameters"]["retry_after_exact"] <= 0.03
        assert server.rate_limit_hits == 1
    finally:
        await server.stop()


async def test_button_presses_must_be_answered_once(emulator: TelegramEmulator) -> None:
    chat = emulator.private_chat(ANA)
    _, body = await call(
        emulator,
        "sendMessage",
        chat_id=ANA.id,
        text="Choose",
        reply_markup={"inline_keyboard": [[{"text": "Sí", "callback_data": "lang:es"}]]},
    )
    message_id = body["result"]["message_id"]
    await emulator.press(ANA, chat, message_id, "lang:es")
    _, body = await call(emulator, "getUpdates")
    query = body["result"][-1]["callback_query"]
    assert query["data"] == "lang:es" and query["message"]["message_id"] == message_id
    assert query["message"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Sí"
    assert (await call(emulator, "answerCallbackQuery", callback_query_id=query["id"], text="Hecho"))[
        0
    ] == 200
    assert emulator.callback_answers == {query["id"]: "Hecho"}
    assert (await call(emulator, "answerCallbackQuery", callback_query_id=query["id"]))[0] == 400
    status, body = await call(
        emulator,
        "sendMessage",
        chat_id=ANA.id,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "Big", "callback_data": "d" * 65}]]},
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_webhook_delivery_carries_the_secret_and_stops_polling(emulator: TelegramEmulator) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await call(emulator, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3")
        group = emulator.group(-100, "G")
        update_id = await emulator.bot_added(group, ANA)
        [(secret, update)] = received
        assert secret == "s3" and update["update_id"] == update_id
        assert update["my_chat_member"]["new_chat_member"]["status"] == "member"
        assert emulator.webhook_responses == [200]
        status, body = await call(emulator, "getUpdates")
        assert status == 409 and body["description"].startswith("Conflict")
        await call(emulator, "deleteWebhook")
        await emulator.user_says(ANA, "hi")
        assert len(received) == 1 and len((await call(emulator, "getUpdates"))[1]["result"]) == 1
    finally:
        await runner.cleanup()


async def test_wait_for_takes_either_kind_of_predicate(emulator: TelegramEmulator) -> None:
    await call(emulator, "getMe")
    await emulator.wait_for(lambda calls: calls[-1].method == "getMe", timeout=0.5)
    await emulator.wait_for(lambda: len(emulator.calls) == 1, timeout=0.5)
    with pytest.raises(TimeoutError):
        await emulator.wait_for(lambda: False, timeout=0.1)


async def test_documents_and_keyboard_edits_through_python_telegram_bot(emulator: TelegramEmulator) -> None:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    async with Bot(emulator.token, base_url=emulator.base_url) as bot:
        sent = await bot.send_document(ANA.id, document=b"%PDF-1.4", filename="letter.pdf", caption="Letter")
        [stored] = emulator.messages_in(ANA.id)
        assert (stored.document, stored.visible, sent.document.file_name) == (
            "letter.pdf",
            "Letter",
            "letter.pdf",
        )
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sign", callback_data="sign:L-1")]])
        await bot.edit_message_reply_markup(ANA.id, sent.message_id, reply_markup=markup)
        assert stored.edited and stored.buttons() == [{"text": "Sign", "callback_data": "sign:L-1"}]
        assert (await bot.get_chat(ANA.id)).type == "private"  # the chat exists once the bot wrote there
        assert await bot.set_my_commands([("help", "list the commands")], language_code="en")
        assert emulator.commands["en"] == [{"command": "help", "description": "list the commands"}]
