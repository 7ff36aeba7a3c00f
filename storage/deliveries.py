"""The delivery queue: claiming rows with a lease, recording results in batches, and status counts.

On PostgreSQL several workers share the queue: claims use ``FOR UPDATE SKIP LOCKED`` so two workers never
lease the same row. On SQLite the one writer serialises claims by itself. A claimed row whose payload cannot
be decrypted is set aside as failed in the claim's transaction, so one bad row never blocks the queue.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Channel, Delivery, EncryptedText, utcnow
from storage.outbox import DELETE, ERASE, Target, notify_queued

PENDING, LEASED, SENT, FAILED = "pending", "leased", "sent", "failed"
UNDELIVERED = (PENDING, LEASED)
log = logging.getLogger(__name__)


async def claim(
    session: AsyncSession,
    limit: int,
    lease: timedelta,
    now: datetime | None = None,
    *,
    platforms: Collection[str] | None = None,
    chats: Collection[str] | None = None,
    most_routine: int | None = None,
) -> list[Delivery]:
    """Lease up to ``limit`` due rows, most urgent first; commits nothing (the caller's transaction does).

    Args:
        session: the caller's session, inside its transaction.
        limit: at most this many rows.
        lease: how long the rows stay leased before another worker may take them again.
        now: the current time (tests pass their own).
        platforms: only rows of these platforms (a worker claims what its adapters serve); all when None.
        chats: only rows addressed to these chat ids (a console claims its own person's chat); all when None.
        most_routine: only rows of this priority or more urgent (lower); all when None.
    """
    now = now or utcnow()
    due = or_(
        and_(Delivery.status == PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.status == LEASED, Delivery.lease_until < now),  # a worker died holding it
    )
    query = (
        select(Delivery)
        # Decrypted row by row below: one bad (or tampered) row must not fail the batch.
        .options(defer(Delivery.payload), defer(Delivery.chat_id))
        .where(due, *served(platforms, chats))
        .where(true() if most_routine is None else Delivery.priority <= most_routine)
        .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).scalars().all())
    if rows:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_([row.id for row in rows]))
            .values(status=LEASED, lease_until=now + lease, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        for row in rows:
            row.status, row.lease_until, row.attempts = LEASED, now + lease, row.attempts + 1
        rows = await _with_payloads(session, rows)
    return rows


async def _with_payloads(session: AsyncSession, rows: list[Delivery]) -> list[Delivery]:
    """Decrypt each claimed row's chat and payload; a row that cannot be read is marked failed with the reason.

    Both are sealed to the row, so a chat id or payload copied in from another row fails here, never reaching
    a platform.
    """
    table = cast(Table, Delivery.__table__)
    query = select(
        Delivery.id, Delivery.seal, type_coerce(table.c.chat_id, Text), type_coerce(table.c.payload, Text)
    ).where(Delivery.id.in_([r.id for r in rows]))
    tokens = {
        row_id: (seal, chat, payload) for row_id, seal, chat, payload in (await session.execute(query)).all()
    }
    chats, payloads = cast(EncryptedText, table.c.chat_id.type), cast(EncryptedText, table.c.payload.type)
    readable: list[Delivery] = []
    broken = Results()
    for row in rows:
        seal, chat, payload = tokens[row.id]
        try:
            set_committed_value(row, "chat_id", chats.open(seal, chat))
            set_committed_value(row, "payload", payloads.open(seal, payload))
        except Exception as error:  # DecryptionError, a truncated token: retrying will not help
            log.error("delivery %s undecodable: %s", row.id, type(error).__name__)
            broken.failed.append((row.id, f"undecodable: {type(error).__name__}"))
            continue
        readable.append(row)
    if broken:
        await record(session, broken)
    return readable


def served(platforms: Collection[str] | None, chats: Collection[str] | None) -> list[ColumnElement[bool]]:
    """The conditions that keep a worker to its own platforms and chats (none when it serves everything)."""
    conditions: list[ColumnElement[bool]] = []
    if platforms is not None:
        conditions.append(Delivery.platform.in_(list(platforms)))
    if chats is not None:
        conditions.append(Delivery.chat_id.in_(list(chats)))
    return conditions


@dataclass
class Results:
    """Outcomes collected by the worker, written in one transaction per flush."""

    sent: list[tuple[int, str]] = field(default_factory=list)  # (delivery id, platform message id)
    retry: list[tuple[int, datetime, str]] = field(default_factory=list)  # (id, next attempt, error)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (id, error)
    moved: list[tuple[int, str]] = field(default_factory=list)  # (id, new chat id) for migrated groups

    def __len__(self) -> int:
        return len(self.sent) + len(self.retry) + len(self.failed) + len(self.moved)


async def record(session: AsyncSession, results: Results, now: datetime | None = None) -> None:
    """Write a batch of outcomes (executemany keeps this fast enough for 1,000+ deliveries/s)."""
    now = now or utcnow()
    table = cast(Table, Delivery.__table__)
    if results.sent:
        await session.execute(
            update(table).where(table.c.id == _bind("row_id")),
            [
                {
                    "row_id": row_id,
                    "status": SENT,
                    "platform_message_id": message_id,
                    "sent_at": now,
                    "lease_until": None,
                    "last_error": None,
                }
                for row_id, message_id in results.sent
            ],
        )
        # A deletion that is done keeps nothing: the chat it named is often a defender's own, and nothing
        # refers back to it (so after FORGET, no row to that person's chat outlives its last deletion).
        await session.execute(
            delete(table).where(
                table.c.id.in_([row_id for row_id, _ in results.sent]), table.c.operation.in_((ERASE, DELETE))
            )
        )
    if results.retry:
        await session.execute(
            update(table).where(table.c.id == _bind("row_id")),
            [
                {
                    "row_id": row_id,
                    "status": PENDING,
                    "next_attempt_at": when,
                    "lease_until": None,
                    "last_error": error,
                }
                for row_id, when, error in results.retry
            ],
        )
    if results.failed:
        await session.execute(
            update(table).where(table.c.id == _bind("row_id")),
            [
                {"row_id": row_id, "status": FAILED, "lease_until": None, "last_error": error}
                for row_id, error in results.failed
            ],
        )
    for row_id, new_chat in results.moved:
        await _follow_migration(session, row_id, new_chat, now)


def _bind(name: str) -> BindParameter[int]:
    return bindparam(name)


async def _follow_migration(session: AsyncSession, row_id: int, new_chat: str, now: datetime) -> None:
    """A Telegram group became a supergroup: the row and the channel follow it, and the row goes again."""
    row = await session.get(Delivery, row_id)
    if row is None:
        return
    channels = await session.execute(
        select(Channel).where(
            Channel.platform == row.platform,
            Channel.workspace == row.workspace,
            Channel.chat_id == row.chat_id,
        )
    )
    for channel in channels.scalars():  # through the ORM: the new chat id is sealed to the channel's row
        channel.chat_id = new_chat
    row.chat_id, row.status, row.next_attempt_at, row.lease_until = new_chat, PENDING, now, None


async def deactivate_target(session: AsyncSession, delivery: Delivery) -> None:
    """The bot was blocked or the chat is gone: stop sending there."""
    await session.execute(
        update(Channel)
        .where(
            Channel.platform == delivery.platform,
            Channel.workspace == delivery.workspace,
            Channel.chat_id == delivery.chat_id,
        )
        .values(active=False)
    )


async def record_receipt(
    session: AsyncSession, subject: str, target: Target, message_id: str, payload: str
) -> None:
    """Record a message sent directly (not through the queue) as a sent row, so a later ``delete`` finds it.

    ``payload`` says only where it went (the chat's kind): the text is not kept, only the id matters.
    """
    row = Delivery(
        subject=subject,
        operation="send",
        platform=target.platform,
        workspace=target.workspace,
        chat_id=target.chat_id,
        language=target.language,
        payload=payload,
        status=SENT,
        attempts=1,
        platform_message_id=message_id,
        sent_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass  # recorded already (a replayed answer)


async def delivered_copy(session: AsyncSession, delivery: Delivery) -> Delivery | None:
    """The sent copy an edit row applies to: the latest sent ``send`` of the same subject and target."""
    result = await session.execute(
        select(Delivery)
        .where(
            Delivery.subject == delivery.subject,
            Delivery.platform == delivery.platform,
            Delivery.workspace == delivery.workspace,
            Delivery.chat_id == delivery.chat_id,
            Delivery.operation == "send",
        )
        .order_by(Delivery.revision.desc())  # its payload too: an edit lands in the copy's kind of chat
        .limit(1)
    )
    return result.scalar_one_or_none()


async def delivered_copies(session: AsyncSession, changes: Sequence[Delivery]) -> dict[int, Delivery]:
    """The sent copy each edit or deletion in ``changes`` applies to, by the change's id, in one query.

    Matched on the rows' stored chat hashes. A change whose copy is not found here is absent (none yet, or,
    during a key rotation, the two rows hashed under different keys): :func:`delivered_copy`, which tries every
    key's hash, looks it up again.
    """
    if not changes:
        return {}

    def key(row: Delivery) -> tuple[str, str, str, str]:
        return row.subject, row.platform, row.workspace, row.chat_hash

    wanted = {key(row) for row in changes}
    found = await session.execute(
        select(Delivery)
        .where(
            Delivery.operation == "send",
            tuple_(Delivery.subject, Delivery.platform, Delivery.workspace, Delivery.chat_hash).in_(wanted),
        )
        .order_by(Delivery.revision)  # the latest revision of a copy wins, as in delivered_copy
    )
    latest = {key(copy): copy for copy in found.scalars()}
    return {row.id: latest[key(row)] for row in changes if key(row) in latest}


@dataclass
class DeliveryStatus:
    """How far a subject's fan-out has got, for the secretariat."""

    by_status: Counter[str] = field(default_factory=Counter)
    by_platform: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_language: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Every copy, whatever its state."""
        return sum(self.by_status.values())


async def status(session: AsyncSession, subject: str, operation: str = "send") -> DeliveryStatus:
    """Counts of sent / pending (incl. leased) / failed copies by platform and language, and why they failed."""
    result = await session.execute(
        select(
            Delivery.status,
            Delivery.platform,
            Delivery.language,
            Delivery.last_error,
            func.count(Delivery.id),
        )
        .where(Delivery.subject == subject, Delivery.operation == operation)
        .group_by(Delivery.status, Delivery.platform, Delivery.language, Delivery.last_error)
    )
    counts = DeliveryStatus()
    for state, platform, language, error, count in result.all():
        state = PENDING if state == LEASED else state
        counts.by_status[state] += count
        counts.by_platform[platform][state] += count
        counts.by_language[language][state] += count
        if state == FAILED:
            counts.failures[(error or "unknown").split(":")[0]] += count
    return counts


async def requeue_failed(session: AsyncSession, subject: str, operation: str = "send") -> int:
    """Give a subject's failed rows a new chance, due now (a person asked for it); returns how many."""
    requeued = (
        (
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.subject == subject, Delivery.operation == operation, Delivery.status == FAILED
                )
                .values(status=PENDING, next_attempt_at=utcnow(), lease_until=None, attempts=0)
                .returning(Delivery.platform)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    await notify_queued(session, set(requeued))
    return len(requeued)


async def pending_subjects(session: AsyncSession) -> Sequence[str]:
    """Subjects with copies still to deliver (for the process's status page)."""
    result = await session.execute(
        select(Delivery.subject).where(Delivery.status.in_([PENDING, LEASED])).distinct()
    )
    return result.scalars().all()
