"""Urgent appeals: references, texts per language, copies sent, the people who said they acted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, distinct, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Appeal, AppealText, AuditEntry, Delivery, Setting
from storage.outbox import Target, notify_queued
from storage.references import allocate
from storage.sealed import sealed_values

TWO_PERSON_RULE = "two_person_rule"
HELD = "held"  # a delivery row written but not to be sent until a second secretariat member approves


@dataclass(frozen=True)
class PendingChange:
    """A change to a sent appeal (update, follow-up or retraction) waiting for a second member's approval.

    Its messages are already written, as held delivery rows: what the approver previews is what goes out.
    """

    kind: str  # "update", "followup" or "retract"
    requested_by: int


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
    status: str = "pending",
) -> int:
    """Write one delivery row per ``(target, encoded payload)`` in one statement; returns how many.

    An appeal goes to thousands of chats: one INSERT per row in its own savepoint (what
    ``OutboxRepository.enqueue`` does to skip duplicates) would hold the write lock for seconds. The caller
    guarantees the rows are new: a fresh revision, taken under the appeal's row lock. Should that ever be
    wrong, the unique constraint fails the whole transaction rather than doubling a message. With
    ``status=HELD`` the rows wait for :func:`release_held`.
    """
    if not items:
        return 0
    await session.execute(
        insert(Delivery),
        [
            sealed_values(
                Delivery,
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
                    "status": status,
                },
            )
            for target, payload in items
        ],
    )
    if status == "pending":  # held rows wake nobody until they are released
        await notify_queued(session, {target.platform for target, _payload in items})
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


def _pending_key(appeal_id: int) -> str:
    return f"appeal_pending:{appeal_id}"


def _own_subjects(appeal_id: int) -> ColumnElement[bool]:
    """The appeal's copies and follow-ups (not its status message or notices)."""
    return or_(Delivery.subject == subject(appeal_id), Delivery.subject == f"{subject(appeal_id)}:followup")


async def pending_change(session: AsyncSession, appeal_id: int) -> PendingChange | None:
    """The change waiting for approval, if any."""
    kind, _, person = (await setting(session, _pending_key(appeal_id))).partition(":")
    return PendingChange(kind, int(person)) if kind and person.isdigit() else None


async def hold_change(session: AsyncSession, appeal_id: int, kind: str, requested_by: int) -> None:
    """Record the change waiting for approval (its held rows are written; call :func:`drop_held` first)."""
    await set_setting(session, _pending_key(appeal_id), f"{kind}:{requested_by}")


async def drop_held(session: AsyncSession, appeal_id: int) -> bool:
    """Forget the change waiting for approval and its held rows; True when there was one."""
    had = await pending_change(session, appeal_id) is not None
    await session.execute(delete(Delivery).where(_own_subjects(appeal_id), Delivery.status == HELD))
    await set_setting(session, _pending_key(appeal_id), "")
    return had


async def release_held(session: AsyncSession, appeal_id: int) -> int:
    """Let the held rows of the approved change go out; returns how many."""
    released = (
        (
            await session.execute(
                update(Delivery)
                .where(_own_subjects(appeal_id), Delivery.status == HELD)
                .values(status="pending")
                .returning(Delivery.platform)
            )
        )
        .scalars()
        .all()
    )
    await set_setting(session, _pending_key(appeal_id), "")
    await notify_queued(session, set(released))
    return len(released)


async def held_rows(session: AsyncSession, appeal_id: int) -> Sequence[Delivery]:
    """The held rows of the change waiting for approval, in order."""
    result = await session.execute(
        select(Delivery).where(_own_subjects(appeal_id), Delivery.status == HELD).order_by(Delivery.id)
    )
    return result.scalars().all()


async def next_revision(session: AsyncSession, subject_name: str) -> int:
    """The next revision of a subject whose every message is new (notices)."""
    latest = await session.execute(
        select(func.max(Delivery.revision)).where(Delivery.subject == subject_name)
    )
    return int(latest.scalar() or 0) + 1
