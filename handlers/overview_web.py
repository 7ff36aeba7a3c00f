"""The dashboard's overview page: what needs the secretariat now, and the network's recent activity."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from bot.dashboard.visit import render, visit
from storage.models import Appeal, Case, Letter

routes = web.RouteTableDef()


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    """Counts a person reads at a glance."""
    here = visit(request)
    session = here.store.session
    by_status = dict(
        (await session.execute(select(Case.status, func.count()).group_by(Case.status))).tuples().all()
    )
    appeals = int((await session.execute(select(func.count()).select_from(Appeal))).scalar_one())
    letters = int((await session.execute(select(func.count()).select_from(Letter))).scalar_one())
    return render(request, "overview.html", by_status=by_status, appeals=appeals, letters=letters)
