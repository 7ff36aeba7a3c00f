"""Threat-report cases: references, listing with filters, the timeline, retention and key rotation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from storage.models import Base, Case, CaseEvent, Conversation, Delivery, Person, ProcessedEvent, utcnow
from storage.references import allocate

STATUSES = ("new", "triage", "verified", "active", "resolved", "closed")
OPEN = ("new", "triage", "verified", "active")
SENSITIVE = ("at_risk", "place", "what_happened", "when_happened", "contact")
URGENCIES = ("immediate", "days", "ongoing")  # most urgent first: the order of every list
PAGE = 20


@dataclass(frozen=True)
class CaseFilter:
    """What a case list is narrowed to (every field optional; open cases when no status is given)."""

    status: str | None = None
    urgency: str | None = None
    country: str | None = None
    assignee_id: int | None = None
    threat_type: str | None = None
    unassigned: bool = False  # only cases nobody has been given
    reference: str | None = None  # part of a reference, as searched on the dashboard
    every_status: bool = False  # resolved and closed ones too, when no status is given


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
        """The first page of :meth:`listing` (kept for callers that want cases only)."""
        spec = await self.parse_filter(word)
        return (await self.listing(spec or CaseFilter()))[0]

    async def countries(self) -> list[str]:
        """The countries cases were reported in (as typed), for filters and their help."""
        result = await self.session.execute(
            select(Case.country).where(Case.country.is_not(None)).distinct().order_by(Case.country)
        )
        return [c for c in result.scalars().all() if c]

    async def parse_filter(self, word: str, person_id: int | None = None) -> CaseFilter | None:
        """A filter from the word typed after CASES: a status, an urgency (``urgent`` = immediate), ``mine``
        (with ``person_id``) or a country some case was reported in; None when it is none of these."""
        word = " ".join(word.split())
        key = word.casefold()
        if not word:
            return CaseFilter()
        if key in STATUSES:
            return CaseFilter(status=key)
        urgency = "immediate" if key == "urgent" else key
        if urgency in URGENCIES:
            return CaseFilter(urgency=urgency)
        if key == "mine" and person_id is not None:
            return CaseFilter(assignee_id=person_id)
        country = next((c for c in await self.countries() if c.casefold() == key), None)
        return CaseFilter(country=country) if country else None

    async def listing(
        self, spec: CaseFilter, page: int = 1, per_page: int = PAGE, new_first: bool = False
    ) -> tuple[Sequence[Case], int]:
        """Cases matching ``spec`` (open ones unless a status is asked), most urgent first, then oldest first.

        Args:
            spec: the filter.
            page: which page (from 1).
            per_page: how many cases a page holds.
            new_first: cases that need triage (status ``new``) before all others (the dashboard's inbox).

        Returns:
            One page of cases and how many match in all.
        """
        query = select(Case)
        if spec.status:
            query = query.where(Case.status == spec.status)
        elif not spec.every_status:
            query = query.where(Case.status.in_(OPEN))
        if spec.threat_type:
            query = query.where(Case.threat_type == spec.threat_type)
        if spec.unassigned:
            query = query.where(Case.assignee_id.is_(None))
        if spec.reference:
            query = query.where(Case.reference.contains(spec.reference.strip().upper(), autoescape=True))
        if spec.urgency:
            query = query.where(Case.urgency == spec.urgency)
        if spec.country:
            query = query.where(Case.country == spec.country)
        if spec.assignee_id is not None:
            query = query.where(Case.assignee_id == spec.assignee_id)
        total = int(
            (await self.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        )
        rank = sql_case(
            *((Case.urgency == key, position) for position, key in enumerate(URGENCIES)), else_=len(URGENCIES)
        )
        order = [rank, Case.created_at, Case.id]
        if new_first:
            order.insert(0, sql_case((Case.status == "new", 0), else_=1))
        ordered = query.order_by(*order).offset((max(page, 1) - 1) * per_page)
        found = (await self.session.execute(ordered.limit(per_page))).scalars().all()
        return found, total

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
        """Append to a case's timeline (the body is encrypted).

        The reporter's own entries are stored without the actor: the sealed ``reporter_id`` is the only link
        from a case to its reporter, and a plain actor id would undo that.
        """
        if actor_id is not None and actor_id == case.reporter_id:
            actor_id = None
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
    """Remove the sensitive fields of cases closed more than ``retention_days`` ago; returns how many.

    A purged case also loses its outbox rows (their payloads repeat the case), and whatever the outbox
    delivered and the event ids processed longer ago than the retention go too.
    """
    cutoff = utcnow() - timedelta(days=retention_days)
    await session.execute(delete(ProcessedEvent).where(ProcessedEvent.created_at < cutoff))
    await session.execute(
        delete(Delivery).where(
            Delivery.status.in_(("sent", "failed")),
            func.coalesce(Delivery.sent_at, Delivery.created_at) < cutoff,
        )
    )
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
        case.reporter_id = None
        prefix = f"case:{case.id}"
        await session.execute(
            delete(Delivery).where(or_(Delivery.subject == prefix, Delivery.subject.like(f"{prefix}:%")))
        )
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
