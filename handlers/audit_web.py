"""The dashboard's audit log: every recorded action, newest first, filtered by who, what, on what and when.

Actions and subjects read as the chat's ``AUDIT`` shows them (:func:`handlers.labels.audit_label`,
:func:`handlers.labels.subject_label`), actors by their display name; nothing else of an entry is shown
(its detail holds ids and keys, not words a person reads).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Translator
from bot.dashboard.visit import render, visit
from handlers.labels import AUDIT_LABELS, SUBJECT_LABELS, audit_label, subject_label
from storage.models import Appeal, AuditEntry, Case, Letter, Person

routes = web.RouteTableDef()

PAGE = 50
REFERENCED: dict[str, type[Case] | type[Appeal] | type[Letter]] = {
    "case": Case,
    "appeal": Appeal,
    "letter": Letter,
}  # subjects shown (and found) by reference
SUBJECT = re.compile(r"^\s*([a-z]+)\s*[:#]?\s*(\d+)\s*$", re.I)


@dataclass(frozen=True)
class Filters:
    """What the secretariat asked for (as typed, so the form shows it again)."""

    actor: str = ""
    action: str = ""
    subject: str = ""
    since: str = ""
    until: str = ""
    page: int = 1

    def query(self, **changes: Any) -> str:
        """This filter's query string, with ``changes`` (e.g. another page)."""
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == 1)})


@dataclass(frozen=True)
class Row:
    """One entry as shown."""

    when: datetime
    actor: str
    action: str
    subject: str
    link: str  # a dashboard page about the subject, or ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _zone(t: Translator) -> ZoneInfo:
    try:
        return ZoneInfo(t.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def _subject_keys(session: AsyncSession, typed: str) -> list[str] | None:
    """The stored subjects a typed subject means: a reference (``CL-2026-001``), ``letter 3``, ``case:3``,
    or a kind alone (``letter``: every letter); None when it means nothing."""
    for kind, model in REFERENCED.items():
        found = await session.execute(select(model.id).where(model.reference == typed.strip().upper()))
        ids = found.scalars().all()
        if ids:
            return [f"{kind}:{ids[0]}"]
    matched = SUBJECT.match(typed)
    if matched:
        return [f"{matched.group(1).lower()}:{matched.group(2)}"]
    if typed.strip().lower() in SUBJECT_LABELS:
        return [typed.strip().lower() + ":%"]
    return None


async def _filtered(session: AsyncSession, filters: Filters, t: Translator) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if filters.actor.isdigit():
        query = query.where(AuditEntry.actor_id == int(filters.actor))
    elif filters.actor == "none":
        query = query.where(AuditEntry.actor_id.is_(None))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.subject:
        keys = await _subject_keys(session, filters.subject)
        if keys is None:
            query = query.where(AuditEntry.id.is_(None))  # nothing matches a subject that means nothing
        elif keys[0].endswith(":%"):
            query = query.where(AuditEntry.subject.like(keys[0]))
        else:
            query = query.where(AuditEntry.subject.in_(keys))
    zone = _zone(t)
    since, until = _day(filters.since), _day(filters.until)
    if since is not None:  # days are the reader's days, from midnight in their timezone
        query = query.where(AuditEntry.created_at >= datetime.combine(since, time(), zone).astimezone(UTC))
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), time(), zone).astimezone(UTC)
        query = query.where(AuditEntry.created_at < end)
    return query


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Display names of people by id (decrypted here, for this page only)."""
    if not ids:
        return {}
    found = (await session.execute(select(Person).where(Person.id.in_(ids)))).scalars().all()
    return {p.id: p.display_name or f"#{p.id}" for p in found}


async def _references(session: AsyncSession, subjects: set[str]) -> dict[str, str]:
    """``letter:3`` → ``CL-2026-003`` for the cases, appeals and letters on the page."""
    found: dict[str, str] = {}
    for kind, model in REFERENCED.items():
        ids = {
            int(s.split(":")[1]) for s in subjects if s.startswith(f"{kind}:") and s.split(":")[1].isdigit()
        }
        if ids:
            rows = await session.execute(select(model.id, model.reference).where(model.id.in_(ids)))
            found.update({f"{kind}:{i}": ref for i, ref in rows})
    return found


@routes.get("/audit")
async def audit(request: web.Request) -> web.Response:
    """The audit log, :data:`PAGE` entries a page."""
    here = visit(request)
    session = here.store.session
    page = request.query.get("page", "1")
    filters = Filters(
        actor=request.query.get("actor", "")[:12],
        action=request.query.get("action", "")[:40],
        subject=request.query.get("subject", "")[:60],
        since=request.query.get("since", "")[:10],
        until=request.query.get("until", "")[:10],
        page=max(1, int(page)) if page.isdigit() else 1,
    )
    query = await _filtered(session, filters, here.t)
    total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    entries = (
        (
            await session.execute(
                query.order_by(AuditEntry.id.desc()).offset((filters.page - 1) * PAGE).limit(PAGE)
            )
        )
        .scalars()
        .all()
    )
    actor_ids = set((await session.execute(select(AuditEntry.actor_id).distinct())).scalars().all())
    names = await _names(session, {i for i in actor_ids if i is not None})
    references = await _references(session, {e.subject for e in entries})
    rows = [
        Row(
            entry.created_at,
            names.get(entry.actor_id, f"#{entry.actor_id}") if entry.actor_id else "—",
            audit_label(here.t, entry.action),
            references.get(entry.subject) or subject_label(here.t, entry.subject),
            f"letters/{references[entry.subject]}"
            if entry.subject.startswith("letter:") and entry.subject in references
            else "",
        )
        for entry in entries
    ]
    actions = sorted(((key, audit_label(here.t, key)) for key in AUDIT_LABELS), key=lambda pair: pair[1])
    return render(
        request,
        "audit.html",
        rows=rows,
        filters=filters,
        total=total,
        pages=max(1, -(-total // PAGE)),
        actors=sorted(names.items(), key=lambda pair: pair[1].casefold()),
        actions=actions,
    )
