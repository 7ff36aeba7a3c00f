"""The Slack app manifest in deploy/ matches what the code serves and calls.

Routes come from the adapter, events and the slash command from what the adapter registers with bolt, and the
Web API methods from the adapter's source: a listener or a method added without its manifest entry fails here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

import bot.adapters.slack.adapter as slack_adapter
from bot.adapters.slack import build_slack_adapter
from bot.app import build_app
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "slack-manifest.json"
HOST = "https://YOUR-HOST"
# Slack's documented bot scope for each Web API method (None: the method needs no scope).
SCOPES: dict[str, str | None] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_scheduleMessage": "chat:write",
    "conversations_open": "im:write",
    "conversations_info": "channels:read",
    "conversations_members": "channels:read",
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "files_upload_v2": "files:write",
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "auth_test": None,
}
# Bolt's event type → the subscriptions that deliver it to this bot (its message listener reads DMs only),
# and the scope each subscription needs.
SUBSCRIPTIONS = {"message": ("message.im",), "app_mention": ("app_mention",)}
EVENT_SCOPES = {"message.im": "im:history", "app_mention": "app_mentions:read"}


class RecordingBolt(slack_adapter.AsyncApp):  # type: ignore[misc]
    """Bolt itself, remembering which events and commands the adapter registers."""

    events: ClassVar[list[str]] = []
    commands: ClassVar[list[str]] = []
    interactive: ClassVar[list[str]] = []

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        RecordingBolt.events.append(event if isinstance(event, str) else str(event.get("type")))
        return super().event(event, *args, **kwargs)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        RecordingBolt.commands.append(str(command))
        return super().command(command, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        RecordingBolt.interactive.append("action")
        return super().action(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        RecordingBolt.interactive.append("view")
        return super().view(constraints, *args, **kwargs)


@pytest.fixture
def manifest() -> dict[str, Any]:
    return dict(json.loads(MANIFEST.read_text(encoding="utf-8")))


@pytest.fixture
async def served(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    for name in ("events", "commands", "interactive"):
        monkeypatch.setattr(RecordingBolt, name, [])
    monkeypatch.setattr(slack_adapter, "AsyncApp", RecordingBolt)
    app = build_app(make_settings(sqlite_url, slack_bot_token="xoxb-test", slack_signing_secret="secret"))
    adapter = build_slack_adapter(app)
    paths = [route.path for route in adapter.routes()]  # type: ignore[attr-defined]
    await app.close()
    return {
        "paths": paths,
        "events": RecordingBolt.events,
        "commands": RecordingBolt.commands,
        "interactive": RecordingBolt.interactive,
    }


def _web_api_methods() -> set[str]:
    """Every ``self.client.<method>`` the Slack adapter package calls (directly or handed to the pacer)."""
    methods: set[str] = set()
    for path in (ROOT / "bot" / "adapters" / "slack").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                owner = node.value
                if isinstance(owner, ast.Attribute) and owner.attr == "client":
                    methods.add(node.attr)
    return methods


def test_every_request_url_is_the_route_the_bot_serves(
    manifest: dict[str, Any], served: dict[str, list[str]]
) -> None:
    (path,) = served["paths"]
    settings = manifest["settings"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(command["url"] for command in manifest["features"]["slash_commands"]),
    ]
    assert urls and all(url == f"{HOST}{path}" for url in urls)
    assert settings["interactivity"]["is_enabled"] is bool(served["interactive"])
    assert settings["socket_mode_enabled"] is False  # HTTP mode: the request URLs above are used


def test_every_event_and_command_the_bot_handles_is_subscribed(
    manifest: dict[str, Any], served: dict[str, list[str]]
) -> None:
    assert served["events"] and served["commands"]
    wanted = {sub for event in served["events"] for sub in SUBSCRIPTIONS[event]}
    assert wanted <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert set(served["commands"]) == {c["command"] for c in manifest["features"]["slash_commands"]}
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # people write to the bot in DMs


def test_every_web_api_method_the_adapter_calls_has_its_scope(
    manifest: dict[str, Any], served: dict[str, list[str]]
) -> None:
    methods = _web_api_methods()
    assert "chat_postMessage" in methods and "users_info" in methods  # the scan finds the calls
    unknown = methods - set(SCOPES)
    assert not unknown, f"add the scope of {sorted(unknown)} to SCOPES and to the manifest"
    needed = {SCOPES[m] for m in methods} - {None}
    needed |= {EVENT_SCOPES[sub] for event in served["events"] for sub in SUBSCRIPTIONS[event]}
    needed |= {"commands"} if served["commands"] else set()
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert needed <= granted, f"missing scopes: {sorted(needed - granted)}"
    assert granted <= needed, f"scopes the code does not use: {sorted(granted - needed)}"
