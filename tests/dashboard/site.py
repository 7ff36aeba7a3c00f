"""A running dashboard for tests: the bot's web server on a free port, with the sandbox people, and a browser-less
HTTP client that keeps cookies (the browser tests use Chromium on the same server)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.app import App
from bot.web import bound_port, build_web_app, start_site
from tests.support import chat, people

LINK = re.compile(r"https?://\S+/dashboard/login/[\w-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Dashboard:
    """The bot's web server and its address."""

    app: App
    site: web.AppRunner
    base: str

    async def link_for(self, key: str, word: str = "dashboard") -> str:
        """Ask the bot for a link as sandbox person ``key`` in their private (console) chat; the link it sent."""
        answers = await chat(self.app, key).say(word)
        found = LINK.search("\n".join(answers))
        assert found, answers
        return self.base + urlsplit(found.group()).path


async def start_dashboard(app: App) -> Dashboard:
    """Serve the bot's web app on a free port; the dashboard's links name it."""
    await people(app)
    site = await start_site(build_web_app(app, []), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{bound_port(site)}"
    from dataclasses import replace

    app.settings = replace(app.settings, dashboard_url=base)
    app.dispatcher.settings = app.settings
    return Dashboard(app, site, base)


async def dashboard_fixture(app: App) -> AsyncIterator[Dashboard]:
    """Body of the ``dashboard`` fixtures."""
    served = await start_dashboard(app)
    try:
        yield served
    finally:
        await served.site.cleanup()


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF.search(page)
    assert found, page[:500]
    return found.group(1)


async def signed_in(dashboard: Dashboard, key: str) -> aiohttp.ClientSession:
    """An HTTP client signed in as ``key`` through a link the bot sent."""
    client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    link = await dashboard.link_for(key)
    async with client.post(link, allow_redirects=False) as response:
        assert response.status == 303, await response.text()
    return client
