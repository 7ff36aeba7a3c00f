"""The dashboard's aiohttp sub-application: sign-in by one-time link, sessions, CSRF, languages, page frame.

Every request but the sign-in pages and static files needs a live session whose person still has the
secretariat role (checked on each request, so a revoked role or ``DASHBOARD logout`` takes effect at once).
Pages are never cached; cookies are HttpOnly, SameSite=Strict, and Secure when the dashboard is served
over https.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel import Locale
from babel.numbers import format_decimal

from bot.app import App
from bot.core.commands import localised_word
from bot.core.context import Context
from bot.core.events import Actor, ChatRef, CommandEvent
from bot.core.i18n import Translator, current
from bot.dashboard.links import PREFIX, WEB_PLATFORM
from bot.dashboard.visit import VISIT_KEY, Visit, field, form, redirect, render, visit
from storage.dashboard_logins import DashboardLogins, DashboardSession
from storage.languages import LANGUAGES
from storage.outbox import URGENT, Target
from storage.repositories import Store

log = logging.getLogger(__name__)

SESSION_COOKIE = "sos_dashboard"
LANGUAGE_COOKIE = "sos_dashboard_language"
APP_KEY = web.AppKey("sosbot_app", App)
TRANSLATOR_KEY = web.RequestKey("sosbot_translator", Translator)
HERE = Path(__file__).parent
PUBLIC = (f"{PREFIX}/login", f"{PREFIX}/static/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _secure(app: App) -> bool:
    return (app.settings.dashboard_url or "").startswith("https://")


def _language(request: web.Request, person_language: str | None, default: str) -> str:
    """The language chosen with the switch, else the member's own, else the browser's best match, else ``default``."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if person_language in LANGUAGES:
        return person_language
    wanted = [
        part.split(";")[0].strip().replace("-", "_")
        for part in request.headers.get("Accept-Language", "").split(",")
    ]
    found = Locale.negotiate([w for w in wanted if w], list(LANGUAGES))
    return found.language if found is not None else default


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No caching of decrypted pages, no framing, no referrer (links carry secrets), only our own resources."""
    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def _authenticate(app: App) -> Any:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PUBLIC) or not request.path.startswith(PREFIX):
            request[TRANSLATOR_KEY] = Translator(_language(request, None, app.settings.default_language))
            return await handler(request)
        cookie = request.cookies.get(SESSION_COOKIE, "")
        async with app.sessions() as session, session.begin():
            login = await DashboardLogins(session).resume(cookie) if cookie else None
            if login is None:
                return redirect(f"{PREFIX}/login")
            person = login.person
            language = _language(request, person.language, app.settings.default_language)
            translator = Translator(language, person.timezone)
            token = current.set(translator)
            try:
                ctx = _context(app, login, Store(session), translator)
                request[TRANSLATOR_KEY] = translator
                here = Visit(app, login, ctx.store, translator, ctx)
                request[VISIT_KEY] = here
                response = await handler(request)
                here.settle()
                # e.g. an operation that answers the member in their private chat
                for message in here.elsewhere:
                    chat = message.chat
                    await ctx.outbox.send(
                        f"web:{secrets.token_hex(8)}",
                        Target(chat.platform, chat.chat_id, language, chat.workspace, chat.kind),
                        message.text,
                        message.buttons,
                        priority=URGENT,
                    )
                if here.notices and response.status in (301, 302, 303):
                    await DashboardLogins(session).keep_notices(login.id, here.notices)
                return response
            finally:
                current.reset(token)

    return authenticate


def _context(app: App, login: DashboardSession, store: Store, translator: Translator) -> Context:
    """A Context for the operations a page calls: the person, the store, and the browser as the chat."""
    chat = ChatRef(WEB_PLATFORM, f"dashboard:{login.id}", erasable_input=False)
    event = CommandEvent(
        event_id=f"web:{secrets.token_hex(8)}", actor=Actor(WEB_PLATFORM, str(login.person.id)), chat=chat
    )
    ctx = Context(event, login.person, store, translator, app.settings)
    ctx.router = app.dispatcher.router
    return ctx


def _page_values(request: web.Request) -> dict[str, Any]:
    """Values every template gets: translation, language and direction, the member, CSRF, notices, links."""
    t: Translator = request.get(TRANSLATOR_KEY) or Translator("en")
    found: Visit | None = request.get(VISIT_KEY)
    if found is not None:
        found.settle()
    return {
        "_": t.gettext,
        "ngettext": t.ngettext,
        "number": lambda n: format_decimal(n, locale=t.locale),
        "when": t.format_datetime,
        "t": t,
        "lang": t.language,
        "dir": "rtl" if t.rtl else "ltr",
        "languages": [(code, Locale.parse(code).get_display_name(code) or code) for code in LANGUAGES],
        "visit": found,
        "csrf": found.login.csrf if found else "",
        # The last action's answers (after a redirect), then what this request's operations answered so far.
        "notices": [*found.login.notices, *found.notices] if found else [],
        "prefix": PREFIX,
        "dashboard_word": localised_word("dashboard", t.language).upper(),
        "path": request.path_qs,
    }


async def _login_help(request: web.Request) -> web.Response:
    return render(request, "login.html", status=401, refused=False)


async def _login_link(request: web.Request) -> web.Response:
    """Confirm before using the link: link previews fetch it with GET and must not use it up."""
    app = request.app[APP_KEY]
    async with app.sessions() as session:
        owner = await DashboardLogins(session).link_owner(request.match_info["secret"])
    if owner is None:
        return render(request, "login.html", status=403, refused=True)
    return render(request, "login_confirm.html", secret=request.match_info["secret"])


async def _login_use(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    async with app.sessions() as session, session.begin():
        logins = DashboardLogins(session)
        redeemed = await logins.redeem(request.match_info["secret"])
        if redeemed is not None:
            await Store(session).audit.record(
                redeemed[1].person.id, "dashboard.login", f"session:{redeemed[1].id}"
            )
    if redeemed is None:
        return render(request, "login.html", status=403, refused=True)
    response = redirect(f"{PREFIX}/")
    response.set_cookie(
        SESSION_COOKIE, redeemed[0], path=PREFIX, httponly=True, samesite="Strict", secure=_secure(app)
    )
    return response


async def _logout(request: web.Request) -> web.Response:
    await form(request)
    here = visit(request)
    await DashboardLogins(here.store.session).end(here.login.id)
    await here.ctx.audit("dashboard.logout", f"session:{here.login.id}")
    response = redirect(f"{PREFIX}/login")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def _choose_language(request: web.Request) -> web.Response:
    posted = await form(request)
    language = field(posted, "language")
    back = field(posted, "back")
    response = redirect(back if back.startswith(f"{PREFIX}/") and "//" not in back else f"{PREFIX}/")
    if language in LANGUAGES:
        app = request.app[APP_KEY]
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            path=PREFIX,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=_secure(app),
        )
    return response


def build_dashboard(app: App, routes: Iterable[web.RouteDef]) -> web.Application:
    """The dashboard as a sub-application to mount at :data:`PREFIX` (feature ``routes`` are relative to it)."""
    dashboard = web.Application(middlewares=[_headers, _authenticate(app)])
    dashboard[APP_KEY] = app
    aiohttp_jinja2.setup(
        dashboard,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        context_processors=[_context_processor],
    )
    dashboard.add_routes(
        [
            web.get("/login", _login_help),
            web.get("/login/{secret}", _login_link),
            web.post("/login/{secret}", _login_use),
            web.post("/logout", _logout),
            web.post("/language", _choose_language),
            web.static("/static", HERE / "static"),
            *routes,
        ]
    )
    return dashboard


async def _context_processor(request: web.Request) -> dict[str, Any]:
    return _page_values(request)
