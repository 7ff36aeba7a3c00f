"""Periodic jobs are declared by each feature on its router; the composition root sees them all, once each."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.router import Router
from handlers import build_router


def test_every_feature_job_reaches_the_composition_root() -> None:
    jobs = build_router().jobs
    assert set(jobs) == {
        "letter deadlines",
        "stuck urgent alert",
        "unanswered cases",
        "dashboard logins",
        "outbox upkeep",
    }
    assert all(job.interval > 0 for job in jobs.values())


def test_a_job_declared_twice_is_refused() -> None:
    first, second = Router(), Router()

    async def sweep(_sessions: async_sessionmaker[AsyncSession], _settings: Settings) -> int:
        return 0

    first.job("sweep", every=60)(sweep)
    second.job("sweep", every=60)(sweep)
    with pytest.raises(ValueError, match="duplicate jobs"):
        Router().include(first, second)


def test_delivery_and_membership_hooks_are_declared_by_their_features() -> None:
    router = build_router()
    assert [h.__module__ for h in router.target_lost_hooks] == ["handlers.alerts"]
    assert [h.__module__ for h in router.progress_hooks] == ["handlers.appeal_status"]
    assert [h.__module__ for h in router.membership_hooks] == ["handlers.channels"]
