"""Edits of every delivered copy of a subject, written in a constant number of statements whatever the copies.

A letter published to 3,000 chats is edited on every signature (its live count). Coalesced edits
(:func:`queue_coalesced_edits`) keep the window's newest text once per language, and the window's first change
writes one edit row per copy with one ``INSERT … SELECT`` from the copies (SQLite and PostgreSQL alike); later
changes in the window rewrite only the texts. A live window (its text :data:`LIVE_TEXT`) keeps no text at all:
its feature renders the text when the edits leave, so later changes in the window write nothing here. One-off
edits (:func:`enqueue_edit_everywhere`) carry their own text, sealed to the copy's row binding (see :mod:`storage.sealed`). Nothing else about a copy is guessed (its
chat and chat kind are the copy's, read when the edit is delivered).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.deliveries import FAILED, PENDING, SENT, UNDELIVERED
from storage.inserts import dialect_of
from storage.models import Delivery, utcnow
from storage.outbox import DELETE, REPLY_SUBJECT
from storage.sealed import SEAL, sealed_values

EDIT = "edit"
# A coalescing window's newest text in one language (kept, never sent): its copies' edit rows read it.
TEXT, KEPT = "text", "kept"
# The text of a live window: none kept, the subject's feature renders it when the window's edits leave.
LIVE_TEXT = ""
_CONFLICT = ("subject", "platform", "workspace", "chat_hash", "revision")
_TABLE = cast(Table, Delivery.__table__)
# A subject's copies: what was sent (or is on its way), not what failed. Built once with the statements below.
_COPIES = (
    (_TABLE.c.subject == bindparam("subject")) & (_TABLE.c.operation == "send") & (_TABLE.c.status != FAILED)
)


async def copy_languages(session: AsyncSession, subject: str) -> list[str]:
    """The languages the subject's copies were written in (to render each edit's text once per language)."""
    result = await session.execute(select(_TABLE.c.language).where(_COPIES).distinct(), {"subject": subject})
    return sorted(result.scalars().all())


@dataclass(frozen=True)
class WindowState:
    """What a coalescing window needs to know of a subject's copies before its texts are rendered."""

    languages: list[str]  # the languages the copies were written in
    copies: int  # the copies to edit (sent or on their way)
    # How many copies the window's edit rows were written for; None before the window's first change.
    written: int | None


# A window's text rows, found by their place in the unique index (no platform, no workspace), not among copies.
_WINDOW_TEXTS = (
    (_TABLE.c.subject == bindparam("subject"))
    & (_TABLE.c.platform == "")
    & (_TABLE.c.workspace == "")
    & (_TABLE.c.operation == TEXT)
    & (_TABLE.c.revision == bindparam("revision"))
)
# One round trip for the three: the copies' languages with their numbers, and the window's coverage.
_WINDOW_STATE = (
    select(
        _TABLE.c.language,
        func.count(),
        select(_TABLE.c.attempts).where(_WINDOW_TEXTS).limit(1).scalar_subquery(),
    )
    .where(_COPIES)
    .group_by(_TABLE.c.language)
)


def _text_upsert(dialect: Any) -> Any:
    """A window's text rows written, or rewritten with the newest text and coverage, in ``dialect``'s words."""
    upsert = dialect.insert(_TABLE)
    return upsert.on_conflict_do_update(
        index_elements=list(_CONFLICT),
        set_={"payload": upsert.excluded.payload, "attempts": upsert.excluded.attempts},
    )


_TEXT_UPSERTS = {dialect: _text_upsert(dialect) for dialect in (postgresql, sqlite)}


async def window_state(session: AsyncSession, subject: str, revision: int) -> WindowState:
    """The copies' languages and number, and what the window (``revision``) has covered so far."""
    rows = (await session.execute(_WINDOW_STATE, {"subject": subject, "revision": revision})).all()
    written = rows[0][2] if rows else None
    return WindowState(sorted(row[0] for row in rows), sum(int(row[1]) for row in rows), written)


async def queue_coalesced_edits(
    session: AsyncSession,
    subject: str,
    payloads: Mapping[str, str] | None,
    *,
    revision: int,
    release: datetime,
    priority: int,
    state: WindowState | None = None,
) -> int:
    """Edit every delivered copy of ``subject`` once per ``revision`` (a time window), held until ``release``.

    The window's newest text is kept once per language (a ``text`` row, see :func:`window_text`), and every
    copy's edit row reads it when delivered: a change within an open window rewrites at most five rows, not one
    per copy. The window's first change also writes the copies' edit rows, in one ``INSERT … SELECT`` that
    copies each copy's seal, chat and payload tokens as they are (no decryption, no sealing per copy), so a
    letter delivered to 3,000 chats costs a sign-on the same few statements as one delivered to 3.

    An earlier window's edits still waiting (the worker gives way to people during a burst) are dropped when
    the edits are written: each carries the whole text, so the newest window's is the only one worth sending.

    A live window (``payloads`` None) keeps no text: the edits deliver what the subject's feature renders when
    they leave, so a change within a window already open writes nothing at all (no hot rows for a burst of
    sign-ons to queue on) and reads one index entry, not the copies; the count shown is the one committed when
    the window ends. A copy queued after a live window opened is edited from the next window on (it left
    with the text of its time).

    Args:
        session: the caller's session, inside its transaction.
        subject: whose copies are edited.
        payloads: the encoded edit per language (copies in other languages are left alone); None for a live
            window, rendered when delivered, in every language of the copies.
        revision: the window's revision (the same for every change within the window).
        release: when the window ends: the edits wait until then.
        priority: the rows' priority.
        state: the window's state when the caller has just read it (:func:`window_state`), else read here.

    Returns:
        How many edit rows were queued now (0 for a change within a window already open).
    """
    # How many copies the window's edit rows were written for (kept in its text rows), and how many there are
    # now: equal, and the copies are not read again; a copy queued or failed since, and the edits are written
    # again for the copies that lack one.
    if payloads is None and await _window_opened(session, subject, revision):
        return 0  # the live window's edits are written and render their text when they leave
    state = state or await window_state(session, subject, revision)
    if payloads is None:
        payloads = dict.fromkeys(state.languages, LIVE_TEXT)
    if not payloads:
        return 0
    now = utcnow()
    texts = [
        sealed_values(
            Delivery,
            {
                "subject": subject,
                "revision": revision,
                "operation": TEXT,
                "platform": "",
                "workspace": "",
                SEAL: _text_seal(subject, language, revision),
                "chat_id": language,
                "language": language,
                "priority": priority,
                "payload": payload,
                "status": KEPT,
                "attempts": state.copies,  # never attempted: the number of copies the window's edits cover
                "next_attempt_at": release,
                "created_at": now,
            },
        )
        for language, payload in payloads.items()
    ]
    await session.execute(_TEXT_UPSERTS[dialect_of(session)], texts)
    if state.written == state.copies:
        return 0
    # The window's edits replace the earlier windows' still waiting.
    await session.execute(
        delete(Delivery).where(
            Delivery.subject == subject,
            Delivery.operation == EDIT,
            Delivery.status == PENDING,
            Delivery.revision < revision,
            Delivery.language.in_(list(payloads)),
        )
    )
    return await _queue_window_edits(session, subject, list(payloads), revision, release, priority, now)


_WINDOW_OPENED = select(_TABLE.c.id).where(_WINDOW_TEXTS).limit(1)


async def _window_opened(session: AsyncSession, subject: str, revision: int) -> bool:
    """Whether the window's edits were written (its text rows exist)."""
    found = await session.execute(_WINDOW_OPENED, {"subject": subject, "revision": revision})
    return found.first() is not None


async def _queue_window_edits(
    session: AsyncSession,
    subject: str,
    languages: list[str],
    revision: int,
    release: datetime,
    priority: int,
    now: datetime,
) -> int:
    """One pending edit row per latest delivered copy, written by the database from the copies themselves."""
    copy = _TABLE.alias("copy")
    newer = _TABLE.alias("newer")
    superseded = exists().where(
        newer.c.subject == copy.c.subject,
        newer.c.platform == copy.c.platform,
        newer.c.workspace == copy.c.workspace,
        newer.c.chat_hash == copy.c.chat_hash,
        newer.c.operation == "send",
        newer.c.status != FAILED,
        newer.c.revision > copy.c.revision,
    )
    # The tokens are copied as stored (typed as plain text, so they are neither opened nor sealed again): the
    # edit shares its copy's seal, so its chat and payload open in the edit's row too. The payload is never sent
    # as such: the window's text (window_text) is.
    columns: dict[str, ColumnElement[Any]] = {
        "subject": literal(subject),
        "revision": literal(revision),
        "operation": literal(EDIT),
        "platform": copy.c.platform,
        "workspace": copy.c.workspace,
        SEAL: copy.c[SEAL],
        "chat_id": type_coerce(copy.c.chat_id, Text()),
        "chat_hash": copy.c.chat_hash,
        "language": copy.c.language,
        "priority": literal(priority),
        "payload": type_coerce(copy.c.payload, Text()),
        "status": literal(PENDING),
        "attempts": literal(0),
        "next_attempt_at": literal(release, type_=_TABLE.c.next_attempt_at.type),
        "created_at": literal(now, type_=_TABLE.c.created_at.type),
    }
    source = select(*(value.label(name) for name, value in columns.items())).where(
        copy.c.subject == subject,
        copy.c.operation == "send",
        copy.c.status != FAILED,
        copy.c.language.in_(languages),
        ~superseded,
    )
    statement: Any = dialect_of(session).insert(_TABLE).from_select(list(columns), source)
    statement = statement.on_conflict_do_nothing(index_elements=list(_CONFLICT))
    result = await session.execute(cast(Insert, statement))
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


async def window_text(session: AsyncSession, subject: str, language: str, revision: int) -> str | None:
    """The newest encoded text of a coalescing window in ``language``; None when the edit carries its own.

    :data:`LIVE_TEXT` for a live window: the subject's feature renders it.
    """
    result = await session.execute(
        select(Delivery.payload).where(
            Delivery.subject == subject,
            Delivery.operation == TEXT,
            Delivery.platform == "",
            Delivery.workspace == "",
            Delivery.chat_id == language,
            Delivery.revision == revision,
        )
    )
    return result.scalar_one_or_none()


async def edit_payload(session: AsyncSession, edit: Delivery) -> str:
    """The encoded text an edit row delivers: its coalescing window's newest text, or else its own.

    Raises:
        LookupError: the window is live: its text exists only once the worker renders it.
    """
    text = await window_text(session, edit.subject, edit.language, edit.revision)
    if text == LIVE_TEXT:
        raise LookupError("a live window's text is rendered when its edits leave")
    return edit.payload if text is None else text


def _text_seal(subject: str, language: str, revision: int) -> str:
    """The seal of a window's text row: known without reading it (unique per subject, language and window)."""
    digest = hashlib.sha256("\x1f".join((subject, language, str(revision))).encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


async def enqueue_edit_everywhere(
    session: AsyncSession, subject: str, payloads: Mapping[str, str], *, revision: int, priority: int
) -> int:
    """One edit row per copy a subject was (or is being) sent to, with the payload of the copy's language.

    Returns:
        How many edit rows were queued (copies already holding this revision are skipped).
    """
    return await _upsert(session, subject, payloads, revision, utcnow(), priority)


async def _upsert(
    session: AsyncSession,
    subject: str,
    payloads: Mapping[str, str],
    revision: int,
    release: datetime,
    priority: int,
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
    statement: Any = dialect_of(session).insert(_TABLE)
    statement = statement.on_conflict_do_nothing(index_elements=list(_CONFLICT))
    result = await session.execute(cast(Insert, statement), rows)
    counted = int(getattr(result, "rowcount", -1) or 0)
    return counted if counted >= 0 else len(rows)


async def prune_delivered(session: AsyncSession, before: datetime) -> int:
    """Delete what the outbox no longer needs, delivered before ``before``; returns the rows deleted.

    Gone: edits and deletions once sent (history: the copy they changed stays), direct replies handed to the
    outbox once sent, and coalescing windows' texts that no undelivered edit reads any more. Kept: every copy
    (``send`` rows: later edits find their chat and message there, and the delivery pages count them) and
    every failure (the secretariat sees them).
    """
    delivered_edits = and_(
        _TABLE.c.operation.in_((EDIT, DELETE)), _TABLE.c.status == SENT, _TABLE.c.sent_at < before
    )
    delivered_replies = and_(
        _TABLE.c.subject.startswith(REPLY_SUBJECT), _TABLE.c.status == SENT, _TABLE.c.sent_at < before
    )
    waiting = aliased(_TABLE)
    read_by_nobody = and_(
        _TABLE.c.operation == TEXT,
        _TABLE.c.created_at < before,
        ~exists().where(
            waiting.c.subject == _TABLE.c.subject,
            waiting.c.revision == _TABLE.c.revision,
            waiting.c.operation == EDIT,
            waiting.c.status.in_(UNDELIVERED),
        ),
    )
    result = await session.execute(
        delete(_TABLE).where(or_(delivered_edits, delivered_replies, read_by_nobody))
    )
    return int(cast(Any, result).rowcount or 0)
