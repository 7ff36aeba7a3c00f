"""``DASHBOARD``: a secretariat member asks for a one-time link to the web dashboard; ``DASHBOARD logout``
ends every dashboard session they have.

Only in a private chat (the link opens a session) and only for the secretariat; both are audited.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import SECRETARIAT, Router
from bot.dashboard.links import base_url, login_url
from storage.dashboard_logins import LINK_VALIDITY, DashboardLogins

router = Router()
dashboard = router.group(
    "dashboard",
    roles=SECRETARIAT,
    private_only=True,
    summary=N_("a link to the web dashboard; DASHBOARD logout"),
)


@router.job("dashboard logins", every=3600)
async def prune_logins(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Delete used, ended and expired links and sessions (they open nothing, and say who signed in when)."""
    async with sessions() as session, session.begin():
        return await DashboardLogins(session).prune()


@dashboard.otherwise
async def send_link(ctx: Context, words: list[str]) -> None:
    """Answer with a link that works once, for a few minutes."""
    secret = await DashboardLogins(ctx.store.session).issue_link(ctx.person)
    await ctx.audit("dashboard.link", f"person:{ctx.person.id}")
    minutes = int(LINK_VALIDITY.total_seconds() // 60)
    sentence = ctx.ngettext(
        "Your dashboard link works once, for {n} minute. Do not share it:",
        "Your dashboard link works once, for {n} minutes. Do not share it:",
        minutes,
    )
    # The link on a line of its own, never inside an isolate: clients must see where the address ends.
    ctx.reply("\n".join((sentence, login_url(base_url(ctx.settings), secret))))


@dashboard.sub("logout")
async def logout(ctx: Context, words: list[str]) -> None:
    """End every dashboard session and unused link of the member."""
    ended = await DashboardLogins(ctx.store.session).end_all(ctx.person.id)
    await ctx.audit("dashboard.logout_all", f"person:{ctx.person.id}", sessions=ended)
    ctx.reply(
        ctx.ngettext(
            "{n} dashboard session ended. Any unused link no longer works.",
            "{n} dashboard sessions ended. Any unused link no longer works.",
            ended,
        )
    )
