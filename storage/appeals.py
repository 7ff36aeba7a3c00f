"""Urgent appeals: references, texts per language, copies sent, the people who said they acted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import distinct, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Appeal, AppealText, AuditEntry, Delivery, Setting
from storage.outbox import Target
from storage.references import allocate

TWO_PERSON_RULE = "two_person_rule"
ACTED = "appeal.acted"  # the audit action that records one person's "I acted"


def subject(appeal_id: int) -> str:
    """The outbox subject of an appeal's copies (status, follow-ups and notices add a suffix)."""
    return f"appeal:{appeal_id}"


class AppealRepository:
    """Appeals and their texts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, author_id: int) -> Appeal:
        """A new draft with the year's next ``UA-YYYY-NNN`` reference."""
        return await allocate(
            self.session, Appeal, "UA", 3, lambda ref: Appeal(reference=ref, created_by=author_id)
        )

    async def by_reference(self, reference: str, *, lock: bool = False) -> Appeal | None:
        """The appeal with this reference (case-insensitive).

        With ``lock``, the row is locked until the transaction ends (PostgreSQL; SQLite has one writer
        anyway), so two secretariat members sending, approving or updating at once act one after the other.
        """
        query = select(Appeal).where(Appeal.reference == reference.strip().upper())
        if lock:
            query = query.with_for_update()
        result = await self.session.execute(query)
        return result.scalar_one_or_none()

    async def recent(self, limit: int = 15) -> Sequence[Appeal]:
        """The latest appeals, newest first."""
        result = await self.session.execute(select(Appeal).order_by(Appeal.id.desc()).limit(limit))
        return result.scalars().all()

    async def texts(self, appeal_id: int) -> dict[str, AppealText]:
        """The appeal's texts by language."""
        result = await self.session.execute(select(AppealText).where(AppealText.appeal_id == appeal_id))
        return {text.language: text for text in result.scalars().all()}

    async def set_text(self, appeal_id: int, language: str, title: str, what: str, todo: str) -> None:
        """Add or replace the text in ``language``."""
        existing = (await self.texts(appeal_id)).get(language)
        if existing is None:
            self.session.add(
                AppealText(
                    appeal_id=appeal_id, language=language, title=title, what_happened=what, what_to_do=todo
                )
            )
        else:
            existing.title, existing.what_happened, existing.what_to_do = title, what, todo
        await self.session.flush()

    async def copies(self, appeal_id: int) -> Sequence[Delivery]:
        """The appeal's copies that were delivered or are on their way (not the failed ones), in order."""
        result = await self.session.execute(
            select(Delivery)
            .where(
                Delivery.subject == subject(appeal_id),
                Delivery.operation == "send",
                Delivery.status != "failed",
            )
            .order_by(Delivery.id)
        )
        return result.scalars().all()

    async def next_followup(self, appeal_id: int) -> int:
        """The number of the next follow-up (each one is a revision of the follow-up subject)."""
        result = await self.session.execute(
            select(func.max(Delivery.revision)).where(Delivery.subject == f"{subject(appeal_id)}:followup")
        )
        return int(result.scalar() or 0) + 1

    async def acted_count(self, appeal_id: int) -> int:
        """How many different people pressed "I acted" (a double press is counted once)."""
        result = await self.session.execute(
            select(func.count(distinct(AuditEntry.actor_id))).where(
                AuditEntry.action == ACTED, AuditEntry.subject == subject(appeal_id)
            )
        )
        return int(result.scalar_one())

    async def has_acted(self, appeal_id: int, person_id: int) -> bool:
        """Whether this person already said they acted."""
        result = await self.session.execute(
            select(AuditEntry.id).where(
                AuditEntry.action == ACTED,
                AuditEntry.subject == subject(appeal_id),
                AuditEntry.actor_id == person_id,
            )
        )
        return result.first() is not None


async def queue_copies(
    session: AsyncSession,
    subject: str,
    items: Sequence[tuple[Target, str]],
    *,
    priority: int,
    revision: int,
    operation: str = "send",
) -> int:
    """Write one delivery row per ``(target, encoded payload)`` in one statement; returns how many.

    An appeal goes to thousands of chats: one INSERT per row in its own savepoint (what
    ``OutboxRepository.enqueue`` does to skip duplicates) would hold the write lock for seconds. The caller
    guarantees the rows are new: a fresh revision, taken under the appeal's row lock. Should that ever be
    wrong, the unique constraint fails the whole transaction rather than doubling a message.
    """
    if not items:
        return 0
    await session.execute(
        insert(Delivery),
        [
            {
                "subject": subject,
                "revision": revision,
                "operation": operation,
                "platform": target.platform,
                "workspace": target.workspace,
                "chat_id": target.chat_id,
                "language": target.language,
                "priority": priority,
                "payload": payload,
            }
            for target, payload in items
        ],
    )
    return len(items)


async def setting(session: AsyncSession, key: str, default: str = "") -> str:
    """A network-wide setting's value."""
    row = await session.get(Setting, key)
    return row.value if row else default


async def set_setting(session: AsyncSession, key: str, value: str) -> None:
    """Change a network-wide setting."""
    row = await session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    await session.flush()
