"""Edits of every delivered copy of a subject, written in one statement whatever the number of copies.

A letter published to 3,000 chats is edited on every signature (its live count): one row per copy, written
with one SELECT of the delivered copies and one ``INSERT … ON CONFLICT`` (an upsert, executed for all rows at
once, on SQLite and PostgreSQL alike): each copy gets the text of its own language, sealed to the copy's row
binding (see :mod:`storage.sealed`), and nothing else about the copy is guessed (its chat and chat kind are the
copy's, read when the edit is delivered). The signer's transaction thus does a constant number of statements.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.deliveries import FAILED, PENDING
from storage.models import Delivery, utcnow
from storage.sealed import SEAL, sealed_values

EDIT = "edit"
_CONFLICT = ("subject", "platform", "workspace", "chat_hash", "revision")


async def copy_languages(session: AsyncSession, subject: str) -> list[str]:
    """The languages the subject's copies were written in (to render each edit's text once per language)."""
    result = await session.execute(
        select(Delivery.language)
        .where(Delivery.subject == subject, Delivery.operation == "send", Delivery.status != FAILED)
        .distinct()
    )
    return sorted(result.scalars().all())


async def queue_coalesced_edits(
    session: AsyncSession,
    subject: str,
    payloads: Mapping[str, str],
    *,
    revision: int,
    release: datetime,
    priority: int,
) -> int:
    """Edit every delivered copy of ``subject`` once per ``revision`` (a time window), held until ``release``.

    A later change within the same window rewrites the text of the edits still waiting, so bursts coalesce
    and the newest text always lands.

    Args:
        session: the caller's session, inside its transaction.
        subject: whose copies are edited.
        payloads: the encoded edit per language; copies in other languages are left alone.
        revision: the window's revision (the same for every change within the window).
        release: when the window ends: the edits wait until then.
        priority: the rows' priority.

    Returns:
        How many edit rows were queued or rewritten.
    """
    return await _upsert(session, subject, payloads, revision, release, priority, rewrite=True)


async def enqueue_edit_everywhere(
    session: AsyncSession, subject: str, payloads: Mapping[str, str], *, revision: int, priority: int
) -> int:
    """One edit row per copy a subject was (or is being) sent to, with the payload of the copy's language.

    Returns:
        How many edit rows were queued (copies already holding this revision are skipped).
    """
    return await _upsert(session, subject, payloads, revision, utcnow(), priority, rewrite=False)


async def _upsert(
    session: AsyncSession,
    subject: str,
    payloads: Mapping[str, str],
    revision: int,
    release: datetime,
    priority: int,
    *,
    rewrite: bool,
) -> int:
    if not payloads:
        return 0
    newer = aliased(Delivery)
    # The latest send to each target only: a target that got two revisions is edited once.
    superseded = exists().where(
        newer.subject == Delivery.subject,
        newer.platform == Delivery.platform,
        newer.workspace == Delivery.workspace,
        newer.chat_hash == Delivery.chat_hash,
        newer.operation == "send",
        newer.status != FAILED,
        newer.revision > Delivery.revision,
    )
    copies = (
        await session.execute(
            select(
                Delivery.seal, Delivery.chat_id, Delivery.platform, Delivery.workspace, Delivery.language
            ).where(
                Delivery.subject == subject,
                Delivery.operation == "send",
                Delivery.status != FAILED,
                Delivery.language.in_(list(payloads)),
                ~superseded,
            )
        )
    ).all()
    if not copies:
        return 0
    now = utcnow()
    # Each edit shares its copy's seal: its chat and text are bound to that row's binding, and the two rows
    # go to the same chat anyway. Sealing is per row (in Python); the statements stay two, whatever the copies.
    rows = [
        sealed_values(
            Delivery,
            {
                "subject": subject,
                "revision": revision,
                "operation": EDIT,
                "platform": platform,
                "workspace": workspace,
                SEAL: seal,
                "chat_id": chat_id,
                "language": language,
                "priority": priority,
                "payload": payloads[language],
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": release,
                "created_at": now,
            },
        )
        for seal, chat_id, platform, workspace, language in copies
    ]
    table = cast(Table, Delivery.__table__)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Any = dialect.insert(table)
    if rewrite:
        # Only an edit still waiting is rewritten: one already sent (or in flight) belongs to a past window.
        statement = statement.on_conflict_do_update(
            index_elements=list(_CONFLICT),
            set_={"payload": statement.excluded.payload, "language": statement.excluded.language},
            where=table.c.status == PENDING,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(_CONFLICT))
    result = await session.execute(cast(Insert, statement), rows)
    counted = int(getattr(result, "rowcount", -1) or 0)
    return counted if counted >= 0 else len(rows)
