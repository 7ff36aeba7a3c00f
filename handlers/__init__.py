"""Feature handlers, one module per feature, each exporting ``router``; platform-neutral."""

from __future__ import annotations

from bot.core.router import Router


def build_router() -> Router:
    """The composition of every feature router (what the dispatcher serves)."""
    from handlers import (
        appeals,
        cases,
        channels,
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
    )
