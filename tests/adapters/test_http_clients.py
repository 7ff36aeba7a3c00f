"""The adapters' HTTP clients keep their connections open between calls (a new connection per call cost more
CPU than the whole event), still send what the platforms expect, and turn a platform that is down into a
neutral, retryable failure."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot.adapters.emulators.telegram import TelegramEmulator
from bot.adapters.slack import build_slack_adapter
from bot.adapters.telegram import build_telegram_adapter
from bot.app import build_app
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import Attachment, ChatKind, ChatRef, Edit, OutgoingMessage
from bot.web import bound_port, start_site
from tests.conftest import make_settings


@dataclass
class Platform:
    """A stand-in API that answers every call with success and notes which client connection each came on."""

    url: str = ""
    connections: list[tuple[str, int]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    seen = Platform()

    async def answer(request: web.Request) -> web.Response:
        seen.connections.append(
            request.transport.get_extra_info("peername") if request.transport else ("", 0)
        )
        seen.methods.append(request.match_info["method"])
        await request.read()
        result: dict[str, object] = {
            "message_id": 7,
            "date": 0,
            "chat": {"id": 42, "type": "private"},
            "text": "x",
        }
        if request.match_info["method"] == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "SOS", "username": "sos_bot"}
        return web.json_response({"ok": True, "result": result, "ts": "1.000001", "channel": "C1"})

    server = web.Application()
    server.add_routes([web.post("/{prefix}/{method}", answer)])
    site = await start_site(server, "127.0.0.1", 0)
    seen.url = f"http://127.0.0.1:{bound_port(site)}"
    yield seen
    await site.cleanup()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_telegram_calls_share_one_connection(sqlite_url: str, platform: Platform) -> None:
    app = build_app(make_settings(sqlite_url, telegram_token="1:T", telegram_api_url=f"{platform.url}/bot"))
    adapter = build_telegram_adapter(app, timeout=2.0)
    await adapter.application.bot.initialize()
    chat = ChatRef("telegram", "42", kind=ChatKind.PRIVATE)
    for text in ("one", "two", "three"):
        await adapter.edit(Edit(chat, "7", text))
    await adapter.application.bot.shutdown()
    await app.close()
    assert platform.methods[-3:] == ["editMessageText"] * 3
    assert len(set(platform.connections[-3:])) == 1


async def test_slack_calls_share_one_connection(sqlite_url: str, platform: Platform) -> None:
    app = build_app(
        make_settings(
            sqlite_url,
            slack_bot_token="xoxb-1",
            slack_signing_secret="s",
            slack_api_url=f"{platform.url}/api/",
        )
    )
    adapter = build_slack_adapter(app, timeout=2.0)
    await adapter.start()
    chat = ChatRef("slack", "C1", "T1", kind=ChatKind.GROUP)
    for text in ("one", "two", "three"):
        await adapter.edit(Edit(chat, "1.000001", text))
    await adapter.stop()
    await app.close()
    assert platform.methods == ["chat.update"] * 3
    assert len(set(platform.connections)) == 1


async def test_a_file_and_its_caption_reach_telegram(sqlite_url: str) -> None:
    emulator = TelegramEmulator(time_scale=0.01)
    url = await emulator.start()
    app = build_app(make_settings(sqlite_url, telegram_token=emulator.token, telegram_api_url=url))
    adapter = build_telegram_adapter(app, timeout=2.0)
    await adapter.application.bot.initialize()
    letter = Attachment("carta-ع.csv", "organisation,country\nRed Ñandú,México\n".encode())
    await adapter.send(OutgoingMessage(ChatRef("telegram", "42"), "Firmas: 1", attachments=(letter,)))
    await adapter.application.bot.shutdown()
    await app.close()
    await emulator.stop()
    document = emulator.calls_to("sendDocument")[0]
    assert document.params["chat_id"] == 42
    assert document.params["document_name"] == "carta-ع.csv"
    assert emulator.calls_to("sendMessage")[0].params["text"] == "Firmas: 1"


async def test_a_bot_api_that_is_down_is_a_transient_failure(sqlite_url: str) -> None:
    down = f"http://127.0.0.1:{free_port()}/bot"
    app = build_app(make_settings(sqlite_url, telegram_token="1:T", telegram_api_url=down))
    adapter = build_telegram_adapter(app, timeout=2.0)
    with pytest.raises(DeliveryError) as raised:
        await adapter.edit(Edit(ChatRef("telegram", "42"), "7", "Signing has ended."))
    await adapter.application.bot.request.shutdown()  # the bot never started: close what the call opened
    await app.close()
    assert raised.value.kind is FailureKind.TRANSIENT
