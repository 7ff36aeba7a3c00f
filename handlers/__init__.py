"""Feature handlers, one module per feature, each exporting ``router``; platform-neutral."""

from __future__ import annotations

from aiohttp.web import RouteDef

from bot.core.router import Router


def build_router() -> Router:
    """The composition of every feature router (what the dispatcher serves)."""
    from handlers import (
        appeals,
        cases,
        channels,
        dashboard,
        identities,
        letters,
        onboarding,
        organisations,
        privacy,
        reports,
        roles,
        subscriptions,
    )

    return Router().include(
        onboarding.router,
        organisations.router,
        roles.router,
        privacy.router,
        identities.router,
        channels.router,
        subscriptions.router,
        appeals.router,
        reports.router,
        cases.router,
        letters.router,
        dashboard.router,
    )


def build_web_routes() -> list[RouteDef]:
    """Every feature's dashboard routes (relative to the dashboard's prefix)."""
    from handlers import channels_web, organisations_web, overview_web, people_web

    routes = [*overview_web.routes]
    routes += [*organisations_web.routes, *people_web.routes, *channels_web.routes]
    return routes
