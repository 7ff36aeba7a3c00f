"""Edits of every delivered copy of a subject, written in one statement whatever the number of copies.

A letter published to 3,000 chats is edited on every signature (its live count): one row per copy, written
as one ``INSERT … SELECT … ON CONFLICT`` (an upsert, on SQLite and PostgreSQL alike). The SELECT joins the
subject's delivered copies to a small table of (language, payload): each copy gets the text of its own
language, and nothing else about the copy is guessed (its chat and chat kind are the copy's, read when the
edit is delivered). The signer's transaction thus does a constant number of statements.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, String, Table, and_, exists, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deliveries import FAILED, PENDING
from storage.models import Delivery, EncryptedText, UTCDateTime, utcnow

EDIT = "edit"
_CONFLICT = ("subject", "platform", "workspace", "chat_id", "revision")


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
    table = cast(Table, Delivery.__table__)
    copy, newer = table.alias("copy"), table.alias("newer")
    texts = union_all(
        *(
            select(
                literal(language, String(5)).label("language"),
                literal(payload, EncryptedText()).label("payload"),
            )
            for language, payload in payloads.items()
        )
    ).subquery("texts")
    # The latest send to each target only: a target that got two revisions is edited once.
    superseded = exists().where(
        and_(
            newer.c.subject == copy.c.subject,
            newer.c.platform == copy.c.platform,
            newer.c.workspace == copy.c.workspace,
            newer.c.chat_id == copy.c.chat_id,
            newer.c.operation == "send",
            newer.c.status != FAILED,
            newer.c.revision > copy.c.revision,
        )
    )
    now = utcnow()
    rows = (
        select(
            copy.c.subject,
            literal(revision),
            literal(EDIT, String(10)),
            copy.c.platform,
            copy.c.workspace,
            copy.c.chat_id,
            copy.c.language,
            literal(priority),
            texts.c.payload,
            literal(PENDING, String(12)),
            literal(0),
            literal(release, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .join_from(copy, texts, texts.c.language == copy.c.language)
        .where(copy.c.subject == subject, copy.c.operation == "send", copy.c.status != FAILED, ~superseded)
    )
    columns = ["subject", "revision", "operation", "platform", "workspace", "chat_id", "language", "priority",
               "payload", "status", "attempts", "next_attempt_at", "created_at"]  # fmt: skip
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Any = dialect.insert(table).from_select(columns, rows)
    if rewrite:
        # Only an edit still waiting is rewritten: one already sent (or in flight) belongs to a past window.
        statement = statement.on_conflict_do_update(
            index_elements=list(_CONFLICT),
            set_={"payload": statement.excluded.payload, "language": statement.excluded.language},
            where=table.c.status == PENDING,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(_CONFLICT))
    result = await session.execute(cast(Insert, statement))
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
