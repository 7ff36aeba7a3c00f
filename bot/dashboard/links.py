"""The dashboard's address and its one-time sign-in links (used by the chat command and the sandbox)."""

from __future__ import annotations

from bot.config import Settings

PREFIX = "/dashboard"
WEB_PLATFORM = "web"  # the platform of a dashboard Context's chat: answers there become notices


def base_url(settings: Settings) -> str:
    """Where browsers reach the dashboard: ``SOS_DASHBOARD_URL``, else this server's own address."""
    return settings.dashboard_url or f"http://{settings.http_host}:{settings.http_port}"


def login_url(base: str, secret: str) -> str:
    """The one-time link a secretariat member opens to sign in."""
    return f"{base}{PREFIX}/login/{secret}"
