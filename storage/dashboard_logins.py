"""Dashboard logins: one-time links sent in chat, exchanged for sessions kept in the database.

A secret is shown once (in the link, in the cookie) and only its SHA-256 is stored. Sessions end on
``logout``, when idle longer than :data:`IDLE_TIMEOUT`, or :data:`LIFETIME` after they began, whichever
comes first; a link is valid for :data:`LINK_VALIDITY` and once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DashboardLogin, Person, Role, utcnow

LINK_VALIDITY = timedelta(minutes=10)
IDLE_TIMEOUT = timedelta(hours=2)
LIFETIME = timedelta(hours=12)
LINK, SESSION = "link", "session"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class DashboardSession:
    """A live session: whose it is and the CSRF token its forms must carry."""

    id: int
    person: Person
    csrf: str
    notices: list[str] = field(default_factory=list)  # the last action's answers, shown once


class DashboardLogins:
    """Issue, redeem, check and end dashboard links and sessions."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue_link(self, person: Person, now: datetime | None = None) -> str:
        """A new one-time link secret for ``person`` (the caller checks the role)."""
        now = now or utcnow()
        secret = secrets.token_urlsafe(32)
        self.session.add(
            DashboardLogin(
                kind=LINK,
                secret_hash=_digest(secret),
                person_id=person.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + LINK_VALIDITY,
            )
        )
        await self.session.flush()
        return secret

    async def link_owner(self, secret: str, now: datetime | None = None) -> Person | None:
        """The secretariat member a still-valid, unused link belongs to (the link is not used up)."""
        row = await self._live(LINK, secret, now or utcnow())
        return None if row is None else await self._secretariat(row.person_id)

    async def redeem(self, secret: str, now: datetime | None = None) -> tuple[str, DashboardSession] | None:
        """Use a link once: a new session's cookie secret and the session, or None when the link is not valid."""
        now = now or utcnow()
        row = await self._live(LINK, secret, now)
        person = None if row is None else await self._secretariat(row.person_id)
        if row is None or person is None:
            return None
        # Used up in the same statement that checks it is unused, so two presses cannot both get in.
        used = await self.session.execute(
            update(DashboardLogin)
            .where(DashboardLogin.id == row.id, DashboardLogin.ended_at.is_(None))
            .values(ended_at=now)
        )
        if getattr(used, "rowcount", 0) != 1:
            return None
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        login = DashboardLogin(
            kind=SESSION,
            secret_hash=_digest(cookie),
            person_id=person.id,
            csrf=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
        )
        self.session.add(login)
        await self.session.flush()
        return cookie, DashboardSession(login.id, person, csrf)

    async def resume(self, cookie: str, now: datetime | None = None) -> DashboardSession | None:
        """The session a cookie opens, if it is live and its person still has the secretariat role."""
        now = now or utcnow()
        row = await self._live(SESSION, cookie, now)
        if row is None or row.last_seen_at + IDLE_TIMEOUT <= now:
            return None
        person = await self._secretariat(row.person_id)
        if person is None:
            return None
        row.last_seen_at = now
        notices = json.loads(row.notices) if row.notices else []
        if notices:
            row.notices = None
        return DashboardSession(row.id, person, row.csrf or "", notices)

    async def keep_notices(self, session_id: int, notices: list[str]) -> None:
        """Keep answers to show on the next page (after the redirect that follows a form)."""
        row = await self.session.get(DashboardLogin, session_id)
        if row is not None and notices:
            kept = json.loads(row.notices) if row.notices else []
            row.notices = json.dumps([*kept, *notices], ensure_ascii=False)

    async def end(self, session_id: int, now: datetime | None = None) -> None:
        """End one session (logging out in the browser)."""
        await self.session.execute(
            update(DashboardLogin).where(DashboardLogin.id == session_id).values(ended_at=now or utcnow())
        )

    async def end_all(self, person_id: int, now: datetime | None = None) -> int:
        """End every session and unused link of a person; returns how many sessions were live."""
        now = now or utcnow()
        live = await self.session.execute(
            update(DashboardLogin)
            .where(
                DashboardLogin.person_id == person_id,
                DashboardLogin.ended_at.is_(None),
                DashboardLogin.expires_at > now,
                DashboardLogin.kind == SESSION,
            )
            .values(ended_at=now)
        )
        await self.session.execute(
            update(DashboardLogin)
            .where(DashboardLogin.person_id == person_id, DashboardLogin.ended_at.is_(None))
            .values(ended_at=now)
        )
        return int(getattr(live, "rowcount", 0) or 0)

    async def forget(self, person_id: int) -> None:
        """Remove every row of a person (erasure leaves nothing)."""
        await self.session.execute(delete(DashboardLogin).where(DashboardLogin.person_id == person_id))

    async def prune(self, now: datetime | None = None) -> int:
        """Delete ended and expired rows (a periodic job); returns how many."""
        now = now or utcnow()
        gone = await self.session.execute(
            delete(DashboardLogin).where(
                (DashboardLogin.ended_at.is_not(None)) | (DashboardLogin.expires_at <= now)
            )
        )
        return int(getattr(gone, "rowcount", 0) or 0)

    async def _live(self, kind: str, secret: str, now: datetime) -> DashboardLogin | None:
        if not secret or len(secret) > 128:
            return None
        row = (
            await self.session.execute(
                select(DashboardLogin).where(
                    DashboardLogin.secret_hash == _digest(secret), DashboardLogin.kind == kind
                )
            )
        ).scalar_one_or_none()
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        return row

    async def _secretariat(self, person_id: int) -> Person | None:
        person = await self.session.get(Person, person_id)
        if person is None or person.role != Role.SECRETARIAT or person.erased_at is not None:
            return None
        return person
