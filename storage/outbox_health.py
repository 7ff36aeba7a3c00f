"""How the outbox is doing, read from the store: depth, ages, and urgent rows waiting too long.

Read by ``/metrics`` and ``/healthz`` and by the stuck-urgent alert; it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deliveries import UNDELIVERED
from storage.models import Delivery, utcnow
from storage.outbox import URGENT

# Rows for the sandbox console wait until that person opens a console: waiting is normal, not an outage.
WAIT_FOR_A_PERSON = ("console",)


@dataclass
class QueueSnapshot:
    """The queue as it stands: rows by (status, priority, platform) and the oldest undelivered age."""

    depth: dict[tuple[str, int, str], int] = field(default_factory=dict)
    oldest_pending: dict[int, float] = field(default_factory=dict)  # priority -> seconds

    def oldest_urgent(self) -> float | None:
        """Seconds the oldest undelivered urgent row has waited, None when there is none."""
        ages = [age for priority, age in self.oldest_pending.items() if priority <= URGENT]
        return max(ages) if ages else None


async def snapshot(session: AsyncSession, now: datetime | None = None) -> QueueSnapshot:
    """Read the queue's depth and ages (two grouped queries, for ``/metrics`` and ``/healthz``)."""
    now = now or utcnow()
    found = QueueSnapshot()
    depth = await session.execute(
        select(Delivery.status, Delivery.priority, Delivery.platform, func.count(Delivery.id)).group_by(
            Delivery.status, Delivery.priority, Delivery.platform
        )
    )
    for state, priority, platform, count in depth.all():
        found.depth[(state, priority, platform)] = count
    oldest = await session.execute(
        select(Delivery.priority, func.min(Delivery.created_at))
        .where(Delivery.status.in_(UNDELIVERED), Delivery.platform.not_in(WAIT_FOR_A_PERSON))
        .group_by(Delivery.priority)
    )
    for priority, created in oldest.all():
        if created is not None:
            created = created if created.tzinfo else created.replace(tzinfo=now.tzinfo)
            found.oldest_pending[priority] = max(0.0, (now - created).total_seconds())
    return found


@dataclass(frozen=True)
class Stuck:
    """Urgent rows still undelivered after their limit."""

    count: int
    oldest_id: int
    oldest_created: datetime
    platforms: tuple[str, ...]


async def stuck_urgent(session: AsyncSession, before: datetime, exclude_subject: str) -> Stuck | None:
    """Urgent rows created before ``before`` and still undelivered (``exclude_subject``: the alert itself)."""
    where = and_(
        Delivery.priority <= URGENT,
        Delivery.status.in_(UNDELIVERED),
        Delivery.created_at < before,
        Delivery.subject != exclude_subject,
        Delivery.platform.not_in(WAIT_FOR_A_PERSON),
    )
    count, oldest_id, oldest = (
        await session.execute(
            select(func.count(Delivery.id), func.min(Delivery.id), func.min(Delivery.created_at)).where(where)
        )
    ).one()
    if not count:
        return None
    platforms = (await session.execute(select(Delivery.platform).where(where).distinct())).scalars().all()
    return Stuck(int(count), int(oldest_id), oldest, tuple(sorted(platforms)))
