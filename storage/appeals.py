"""Urgent appeals: references, texts per language, the people who said they acted."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Appeal, AppealText, AuditEntry, Setting
from storage.references import allocate

TWO_PERSON_RULE = "two_person_rule"


class AppealRepository:
    """Appeals and their texts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, author_id: int) -> Appeal:
        """A new draft with the year's next ``UA-YYYY-NNN`` reference."""
        return await allocate(
            self.session, Appeal, "UA", 3, lambda ref: Appeal(reference=ref, created_by=author_id)
        )

    async def by_reference(self, reference: str) -> Appeal | None:
        """The appeal with this reference (case-insensitive)."""
        result = await self.session.execute(
            select(Appeal).where(Appeal.reference == reference.strip().upper())
        )
        return result.scalar_one_or_none()

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

    async def acted_count(self, appeal_id: int) -> int:
        """How many different people pressed "I acted"."""
        result = await self.session.execute(
            select(func.count(distinct(AuditEntry.actor_id))).where(
                AuditEntry.action == "appeal.acted", AuditEntry.subject == f"appeal:{appeal_id}"
            )
        )
        return int(result.scalar_one())

    async def has_acted(self, appeal_id: int, person_id: int) -> bool:
        """Whether this person already said they acted."""
        result = await self.session.execute(
            select(AuditEntry.id).where(
                AuditEntry.action == "appeal.acted",
                AuditEntry.subject == f"appeal:{appeal_id}",
                AuditEntry.actor_id == person_id,
            )
        )
        return result.first() is not None


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
