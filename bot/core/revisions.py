"""Revision policies: when two outbox rows of one subject and target are the same message.

A delivery row is unique per (subject, target, revision), so the revision decides what is written once and
what is new. Each purpose has one named policy here; handlers pick a policy, never invent a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.appeals import next_revision

ONCE = 1  # a message sent once per subject and target: a letter's copy, a one-off notice
_WINDOWS_FROM = 1_000_000  # window numbers start here, far above any version or ordinal


@dataclass(frozen=True)
class Window:
    """One coalescing window: every change within it shares the revision, and the edit waits until ``release``."""

    revision: int
    release: datetime


def coalescing(window: timedelta, now: datetime) -> Window:
    """Edits coalesced per time window (live counts, live status): one edit per copy and window, the last text.

    Window numbers count from the epoch in units of ``window`` (a 2-second window stays within a 32-bit
    revision until 2090).
    """
    seconds = window.total_seconds()
    slot = int(now.timestamp() // seconds)
    return Window(_WINDOWS_FROM + slot, datetime.fromtimestamp((slot + 1) * seconds, tz=now.tzinfo))


def per_period(period: timedelta, now: datetime) -> int:
    """At most one message per subject, target and period (reminders): the period's number since the epoch."""
    return int(now.timestamp() // period.total_seconds())


def of_version(version: int) -> int:
    """Copies and edits of a versioned document (an appeal) carry the document's own version number."""
    return version


def per_fact(ordinal: int) -> int:
    """One message per fact of the subject (its n-th timeline entry, a stuck row's id): replays write nothing."""
    return ordinal


async def fresh(session: AsyncSession, subject: str) -> int:
    """Every message new (notices, alerts to the secretariat): the subject's next revision."""
    return await next_revision(session, subject)
