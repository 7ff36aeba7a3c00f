"""Slack through slack-bolt (Events API over HTTP, or Socket Mode) and slack-sdk's Web API client."""

from __future__ import annotations

from bot.adapters.slack.adapter import SlackAdapter
from bot.core.host import Host


def build_slack_adapter(app: Host, **options: float) -> SlackAdapter:
    """The Slack adapter for ``app``'s settings (option: timeout)."""
    return SlackAdapter(app, **options)


__all__ = ["SlackAdapter", "build_slack_adapter"]
