"""Threat-report cases: references, listing with filters, the timeline, retention and key rotation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from storage.models import Base, Case, CaseEvent, Conversation, Delivery, Person, utcnow
from storage.references import allocate

STATUSES = ("new", "triage", "verified", "active", "resolved", "closed")
OPEN = ("new", "triage", "verified", "active")
SENSITIVE = ("at_risk", "place", "what_happened", "when_happened", "contact")


class CaseRepository:
    """Cases and their timelines."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, **fields: object) -> Case:
        """A new case with the year's next ``SOS-YYYY-NNNN`` reference."""
        return await allocate(self.session, Case, "SOS", 4, lambda ref: Case(reference=ref, **fields))

    async def by_reference(self, reference: str) -> Case | None:
        """The case with this reference (case-insensitive)."""
        result = await self.session.execute(select(Case).where(Case.reference == reference.strip().upper()))
        return result.scalar_one_or_none()

    async def open_cases(self, word: str = "") -> Sequence[Case]:
        """Open cases, newest first, filtered by a status, an urgency or a country when ``word`` is given."""
        query = select(Case).order_by(Case.id.desc()).limit(30)
        word = word.strip()
        if word.lower() in STATUSES:
            query = query.where(Case.status == word.lower())
        else:
            query = query.where(Case.status.in_(OPEN))
            urgency = "immediate" if word.lower() == "urgent" else word.lower()
            if urgency in ("immediate", "days", "ongoing"):
                query = query.where(Case.urgency == urgency)
            elif word:
                query = query.where(Case.country.ilike(word))
        return (await self.session.execute(query)).scalars().all()

    async def of_reporter(self, person_id: int) -> Sequence[Case]:
        """A reporter's own cases."""
        result = await self.session.execute(
            select(Case).where(Case.reporter_id == person_id).order_by(Case.id)
        )
        return result.scalars().all()

    async def by_origin(self, origin: str, reporter_id: int) -> Case | None:
        """The case a reporter's report conversation (its token) created, if it was stored."""
        result = await self.session.execute(
            select(Case).where(Case.origin == origin, Case.reporter_id == reporter_id).limit(1)
        )
        return result.scalar_one_or_none()

    async def reported_since(self, reporter_id: int, since: datetime) -> int:
        """How many cases a person reported since ``since`` (the per-hour limit)."""
        result = await self.session.execute(
            select(func.count(Case.id)).where(Case.reporter_id == reporter_id, Case.created_at >= since)
        )
        return int(result.scalar_one())

    async def created_since(self, since: datetime) -> Sequence[Case]:
        """Cases created since ``since``, oldest first (a burst of reports)."""
        result = await self.session.execute(select(Case).where(Case.created_at >= since).order_by(Case.id))
        return result.scalars().all()

    async def add_event(self, case: Case, kind: str, actor_id: int | None, body: str | None = None) -> None:
        """Append to a case's timeline (the body is encrypted)."""
        self.session.add(CaseEvent(case_id=case.id, kind=kind, actor_id=actor_id, body=body))
        await self.session.flush()

    async def timeline_ids(self, case_id: int) -> Sequence[int]:
        """The ids of a case's timeline entries (their count numbers alerts and messages)."""
        result = await self.session.execute(select(CaseEvent.id).where(CaseEvent.case_id == case_id))
        return result.scalars().all()

    async def timeline(self, case: Case) -> Sequence[CaseEvent]:
        """A case's timeline, oldest first."""
        result = await self.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return result.scalars().all()


async def purge_closed(session: AsyncSession, retention_days: int) -> int:
    """Remove the sensitive fields of cases closed more than ``retention_days`` ago; returns how many."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = await session.execute(
        select(Case).where(Case.status == "closed", Case.closed_at < cutoff, Case.purged_at.is_(None))
    )
    count = 0
    for case in result.scalars().all():
        for name in SENSITIVE:
            setattr(case, name, None)
        case.purged_at = utcnow()
        events = await session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id))
        for event in events.scalars().all():
            event.body = None
        count += 1
    return count


ENCRYPTED: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (Case, SENSITIVE),
    (CaseEvent, ("body",)),
    (Person, ("display_name",)),
    (Conversation, ("secret_data",)),
    (Delivery, ("payload",)),
)


async def reencrypt_all(session: AsyncSession) -> int:
    """Re-encrypt every encrypted column under the newest key (values are read with any key)."""
    count = 0
    for model, columns in ENCRYPTED:
        rows = (await session.execute(select(model))).scalars().all()
        for row in rows:
            for column in columns:
                if getattr(row, column) is not None:
                    flag_modified(row, column)
                    count += 1
    await session.flush()
    return count
