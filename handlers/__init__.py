"""Feature handlers, one module per feature, each exporting ``router``; platform-neutral."""

from __future__ import annotations

from aiohttp.web import RouteDef

from bot.core.router import Router


def build_router() -> Router:
    """The composition of every feature router (what the dispatcher serves)."""
    from handlers import (
        alerts,
        appeals,
        cases,
        channels,
        dashboard,
        identities,
        letters,
        onboarding,
        organisations,
        outbox_upkeep,
        privacy,
        reminders,
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
        reminders.router,
        alerts.router,
        outbox_upkeep.router,
    )


def build_web_routes() -> list[RouteDef]:
    """Every feature's dashboard routes (relative to the dashboard's prefix)."""
    from handlers import (
        appeals_web,
        audit_web,
        cases_web,
        channels_web,
        letters_web,
        organisations_web,
        overview_web,
        people_web,
    )

    features = (
        overview_web,
        cases_web,
        appeals_web,
        letters_web,
        organisations_web,
        people_web,
        channels_web,
    )
    return [route for feature in (*features, audit_web) for route in feature.routes]
