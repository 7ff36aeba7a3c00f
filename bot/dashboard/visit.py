"""One dashboard request as the feature routes see it: who, in which language, the store, and how to answer.

A :class:`Visit` carries a real :class:`~bot.core.context.Context` whose chat is the browser, so a web route
calls the very operations the chat commands call (two-person rule, consent, audit, the outbox API). What
those operations answer in "this chat" becomes a notice on the next page; what they send elsewhere leaves
through the outbox in the same transaction.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.app import App
from bot.core.context import Context
from bot.core.events import OutgoingMessage
from bot.core.i18n import Translator
from bot.dashboard.links import WEB_PLATFORM
from storage.dashboard_logins import DashboardSession
from storage.models import Person
from storage.repositories import Store

T = TypeVar("T")


@dataclass
class Visit:
    """The signed-in secretariat member's request.

    Attributes:
        notices: what the operations answered in "this chat" so far, shown on the page (see :meth:`settle`).
        elsewhere: messages the operations sent to other chats so far, for the outbox (see :meth:`settle`).
    """

    app: App
    login: DashboardSession
    store: Store
    t: Translator
    ctx: Context

    def __post_init__(self) -> None:
        self.notices: list[str] = []
        self.elsewhere: list[OutgoingMessage] = []
        self._settled = 0  # how many of the Context's answers are already split

    @property
    def person(self) -> Person:
        """The secretariat member."""
        return self.login.person

    def _(self, message: str, **values: object) -> str:
        """Translate for the member."""
        return self.t.gettext(message, **values)

    def notice(self, text: str) -> None:
        """Show ``text`` on the next page (as the chat would have answered it)."""
        self.ctx.reply(text)

    def settle(self) -> None:
        """Split the Context's new answers into :attr:`notices` and :attr:`elsewhere`.

        Both the page (while it renders) and the dashboard's middleware (after the route) ask; each answer is
        split once, and an answer given after a first call is still split by the next.
        """
        for item in self.ctx.outgoing[self._settled :]:
            if item.chat.platform == WEB_PLATFORM:
                text = getattr(item, "text", "")
                if text:
                    self.notices.append(text)
            elif isinstance(item, OutgoingMessage):
                self.elsewhere.append(item)
        self._settled = len(self.ctx.outgoing)


VISIT_KEY = web.RequestKey("sosbot_visit", Visit)


def visit(request: web.Request) -> Visit:
    """The request's :class:`Visit` (set by the dashboard's authentication middleware)."""
    found: Visit = request[VISIT_KEY]
    return found


async def form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The posted form, after checking its CSRF token (403 without the session's token)."""
    posted = await request.post()
    token = posted.get("csrf")
    expected = visit(request).login.csrf
    if not isinstance(token, str) or not expected or not hmac.compare_digest(token, expected):
        raise web.HTTPForbidden(text="missing or wrong form token")
    return posted


def found_or_404(value: T | None, text: str) -> T:
    """``value`` when a page's lookup found it; otherwise the request ends in Not Found.

    Args:
        value: what the lookup returned (None: nothing by that key, or nothing the dashboard may show).
        text: the 404's body, e.g. "no such letter".

    Raises:
        web.HTTPNotFound: when ``value`` is None.
    """
    if value is None:
        raise web.HTTPNotFound(text=text)
    return value


def field(posted: Mapping[str, Any], name: str, limit: int = 4000) -> str:
    """A posted text field, stripped, cut to ``limit`` characters ("" when absent or a file)."""
    value = posted.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """Render ``template`` with the page's common values (language, direction, translation, CSRF, notices)."""
    return aiohttp_jinja2.render_template(template, request, values, status=status)


def redirect(location: str) -> web.Response:
    """See Other: after a form, the browser loads ``location`` (so a reload does not post again).

    Returned, not raised, so the request's transaction commits.
    """
    return web.Response(status=303, headers={"Location": location})
