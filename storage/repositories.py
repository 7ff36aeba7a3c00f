"""Repositories the handlers use: one small class per aggregate, all sharing the event's session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from storage.crypto import active_keyring
from storage.inserts import InsertOnce
from storage.models import (
    AuditEntry,
    Case,
    Channel,
    Conversation,
    DashboardLogin,
    Delivery,
    Identity,
    Organisation,
    Person,
    ProcessedEvent,
    Role,
    Setting,
    utcnow,
)
from storage.sealed import EncryptedText, lookup_hashes

BOOTSTRAP_PREFIX = "bootstrap:"
EVENT_ID = "processed_events.event_id"  # look-up hash contexts of processed events
EVENT_OWNER = "processed_events.owner"
_CLAIMED = (
    "claimed_event"  # session.info: the event row claimed in this transaction, until its person is known
)
# Outbox rows kept by ``forget`` while undelivered: they delete what the person typed from their chat.
WIPING = ("erase", "delete")
# Reporters' own actions: audited without the actor, so the trail never links a case to a person.
PSEUDONYMOUS_ACTIONS = frozenset({"case.create", "case.reporter_message"})


def bootstrap_marks(keys: Sequence[str], platform: str, workspace: str, user_id: str) -> list[str]:
    """The setting keys recording that a bootstrap identity was applied, one per data key (newest first).

    Keyed, so the stored mark does not name the account (a bare hash of a Telegram id is easy to reverse).
    """
    message = "\x1f".join((platform, workspace, user_id)).encode()
    return [
        BOOTSTRAP_PREFIX + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:30] for key in keys
    ]


# Built once: every incoming event runs it, and building the statement cost more than running it.
# Their look-up hash contexts, as the models declare them.
USER_ID = cast(EncryptedText, cast(Table, Identity.__table__).c.user_id.type).context
CONVERSATION_CHAT = cast(EncryptedText, cast(Table, Conversation.__table__).c.chat_id.type).context
_ARRIVAL = (
    select(Identity, Conversation)
    .join(Identity.person)
    .outerjoin(
        Conversation,
        (Conversation.person_id == Identity.person_id)
        & (Conversation.platform == bindparam("platform"))
        & Conversation.chat_hash.in_(bindparam("chat_hashes", expanding=True)),
    )
    .options(contains_eager(Identity.person))
    .where(
        Identity.platform == bindparam("platform"),
        Identity.workspace == bindparam("workspace"),
        Identity.user_hash.in_(bindparam("user_hashes", expanding=True)),
    )
)


class PersonRepository:
    """Persons and their platform identities."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def identity(self, platform: str, workspace: str, user_id: str) -> Identity | None:
        """The identity for a platform user, with its person loaded (one joined query)."""
        result = await self.session.execute(
            select(Identity)
            .join(Identity.person)
            .options(contains_eager(Identity.person))
            .where(
                Identity.platform == platform, Identity.workspace == workspace, Identity.user_id == user_id
            )
        )
        return result.scalar_one_or_none()

    async def arrival(
        self, platform: str, workspace: str, user_id: str, chat_id: str
    ) -> tuple[Identity, Conversation | None] | None:
        """A known platform user's identity (with its person) and their flow in progress in ``chat_id``.

        One joined query: every incoming event asks both, before anything else, so they cost one round trip.
        None when the user is not known yet.
        """
        result = await self.session.execute(
            _ARRIVAL,
            {
                "platform": platform,
                "workspace": workspace,
                "user_hashes": lookup_hashes(USER_ID, [user_id]),
                "chat_hashes": lookup_hashes(CONVERSATION_CHAT, [chat_id]),
            },
        )
        row = result.first()
        return None if row is None else (row[0], row[1])

    async def get_or_create(
        self,
        platform: str,
        workspace: str,
        user_id: str,
        display_name: str = "",
        language_hint: str | None = None,
        private_chat_id: str | None = None,
        *,
        known: Identity | None = None,
    ) -> tuple[Person, bool]:
        """Return the person behind a platform user, creating both when first seen.

        Args:
            known: the user's identity when the caller has just loaded it (see :meth:`arrival`); otherwise it is
                looked up here.

        Returns:
            The person and whether it was created now.
        """
        identity = known or await self.identity(platform, workspace, user_id)
        person, created = await self._get_or_create(
            identity, platform, workspace, user_id, display_name, language_hint, private_chat_id
        )
        claimed = self.session.info.pop(_CLAIMED, None)
        if claimed is not None:  # whose event it was, so ``forget`` can remove it
            owner = active_keyring().lookup(EVENT_OWNER, str(person.id))
            await self.session.execute(
                update(ProcessedEvent).where(ProcessedEvent.id == claimed).values(owner=owner)
            )
        return person, created

    async def _get_or_create(
        self,
        identity: Identity | None,
        platform: str,
        workspace: str,
        user_id: str,
        display_name: str,
        language_hint: str | None,
        private_chat_id: str | None,
    ) -> tuple[Person, bool]:
        if identity is not None:
            if language_hint and identity.language_hint != language_hint:
                identity.language_hint = language_hint
            if private_chat_id and identity.private_chat_id != private_chat_id:
                identity.private_chat_id = private_chat_id
            return identity.person, False
        person = Person(display_name=display_name or None, role=Role.DEFENDER)
        self.session.add(person)
        await self.session.flush()
        try:
            # A person's first messages may arrive together: the identity's unique constraint decides which
            # event creates them (in a savepoint); the other finds what the winner created.
            async with self.session.begin_nested():
                self.session.add(
                    Identity(
                        person_id=person.id,
                        platform=platform,
                        workspace=workspace,
                        user_id=user_id,
                        language_hint=language_hint,
                        private_chat_id=private_chat_id,
                    )
                )
        except IntegrityError:
            await self.session.delete(person)
            await self.session.flush()
            existing = await self.identity(platform, workspace, user_id)
            if existing is None:
                raise
            return existing.person, False
        return person, True

    async def get(self, person_id: int) -> Person | None:
        """The person with this id, or None (erased persons are returned too)."""
        return await self.session.get(Person, person_id)

    async def identities_of(self, person_id: int) -> Sequence[Identity]:
        """Every platform identity linked to a person."""
        result = await self.session.execute(select(Identity).where(Identity.person_id == person_id))
        return result.scalars().all()

    async def with_role(self, role: Role) -> Sequence[Person]:
        """Persons currently holding ``role`` (not erased)."""
        result = await self.session.execute(
            select(Person).where(Person.role == role, Person.erased_at.is_(None)).order_by(Person.id)
        )
        return result.scalars().all()

    async def move_identities(self, from_person: int, to_person: int) -> int:
        """Re-attach every identity of one person to another; returns how many moved."""
        result = await self.session.execute(
            update(Identity).where(Identity.person_id == from_person).values(person_id=to_person)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def listing(self, limit: int = 30) -> tuple[Sequence[Person], int]:
        """Persons not erased, grouped by role (defender, member, secretariat), then by number.

        People who only reported (defenders with no organisation) are left out unless one of their reports
        is about themselves with names publishable (they chose to be known).

        Returns:
            The persons listed, and how many reporters were left out.
        """
        reporters = await self._reporter_only_ids()
        hidden = reporters - await self._known_reporters(reporters)
        query = select(Person).where(Person.erased_at.is_(None))
        if hidden:
            query = query.where(Person.id.not_in(hidden))
        result = await self.session.execute(query.order_by(Person.role, Person.id).limit(limit))
        return result.scalars().all(), len(hidden)

    async def _reporter_only_ids(self) -> set[int]:
        # The case→reporter link is sealed: candidates are matched through its look-up hash, not a join.
        candidates = (
            await self.session.execute(
                select(Person.id).where(
                    Person.role == Role.DEFENDER, Person.organisation_id.is_(None), Person.erased_at.is_(None)
                )
            )
        ).scalars()
        by_hash = {h: pid for pid in candidates for h in lookup_hashes("cases.reporter_id", [str(pid)])}
        if not by_hash:
            return set()
        found = await self.session.execute(
            select(Case.reporter_hash).where(Case.reporter_hash.in_(list(by_hash))).distinct()
        )
        return {by_hash[h] for h in found.scalars() if h in by_hash}

    async def _known_reporters(self, reporters: set[int]) -> set[int]:
        if not reporters:
            return set()
        result = await self.session.execute(
            select(Case.reporter_id, Case.at_risk).where(
                Case.reporter_id.in_(reporters), Case.names_publishable.is_(True)
            )
        )
        return {int(pid) for pid, at_risk in result.all() if pid and (at_risk or "").startswith("me")}

    async def private_identity(self, person_id: int, platform: str) -> Identity | None:
        """The person's identity on ``platform`` with a known private chat with the bot, if any."""
        result = await self.session.execute(
            select(Identity)
            .where(
                Identity.person_id == person_id,
                Identity.platform == platform,
                Identity.private_chat_id.is_not(None),
            )
            .order_by(Identity.id)
        )
        return result.scalars().first()

    async def apply_bootstrap(self, person: Person, marks: Sequence[str]) -> bool:
        """Make ``person`` secretariat if this bootstrap identity was never applied; record that it was.

        Once applied, the configured identity is ignored: a later revoke holds for good.

        Returns:
            Whether the role was granted now.
        """
        found = set(
            (await self.session.execute(select(Setting.key).where(Setting.key.in_(marks)))).scalars().all()
        )
        if found and marks[0] in found:
            return False
        try:
            async with self.session.begin_nested():  # two first messages at once: one records the mark
                self.session.add(Setting(key=marks[0], value=utcnow().isoformat(timespec="seconds")))
        except IntegrityError:
            return False
        if found:  # applied under an older key: the mark now follows the newest one
            return False
        if person.role == Role.SECRETARIAT:
            return False
        person.role = Role.SECRETARIAT
        return True

    async def _forget_traces(self, person_id: int) -> None:
        """Remove the outbox rows to a person's private chats and the ids of the events they sent.

        Undelivered deletions stay: they wipe what the person typed from their chat.
        """
        chats = (
            await self.session.execute(
                select(Identity.platform, Identity.workspace, Identity.private_chat_id).where(
                    Identity.person_id == person_id, Identity.private_chat_id.is_not(None)
                )
            )
        ).all()
        for platform, workspace, chat_id in chats:
            await self.session.execute(
                delete(Delivery).where(
                    Delivery.platform == platform,
                    Delivery.workspace == workspace,
                    Delivery.chat_id == chat_id,
                    ~(Delivery.operation.in_(WIPING) & Delivery.status.in_(("pending", "leased"))),
                )
            )
        owner = lookup_hashes(EVENT_OWNER, [str(person_id)])
        await self.session.execute(delete(ProcessedEvent).where(ProcessedEvent.owner.in_(owner)))

    async def erase(self, person: Person) -> int:
        """Erase a person's identity and contact details; keep a pseudonymous row for cases and audit.

        Returns:
            How many platform identities were removed.
        """
        await self._forget_traces(person.id)
        removed = await self.session.execute(delete(Identity).where(Identity.person_id == person.id))
        await self.session.execute(delete(Conversation).where(Conversation.person_id == person.id))
        await self.session.execute(delete(DashboardLogin).where(DashboardLogin.person_id == person.id))
        # Their cases stay with the secretariat, pseudonymous: the way to reach them goes with them, and so
        # does their own name where they reported about themselves ("me — <name>").
        for case in (await self.session.execute(select(Case).where(Case.reporter_id == person.id))).scalars():
            case.contact = None
            if case.at_risk and case.at_risk.startswith("me"):
                case.at_risk = case.at_risk.split(" — ", 1)[0]
        person.display_name = None
        person.language = None
        person.timezone = None
        person.organisation_id = None
        person.role = Role.DEFENDER
        person.erased_at = utcnow()
        return int(getattr(removed, "rowcount", 0) or 0)


class OrganisationRepository:
    """Member organisations."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def key(name: str) -> str:
        """Casefolded, space-normalised name used for uniqueness."""
        return " ".join(name.split()).casefold()

    async def by_name(self, name: str) -> Organisation | None:
        """The organisation with this name, ignoring case and spacing."""
        result = await self.session.execute(
            select(Organisation).where(Organisation.name_key == self.key(name))
        )
        return result.scalar_one_or_none()

    async def get(self, organisation_id: int) -> Organisation | None:
        """The organisation with this id."""
        return await self.session.get(Organisation, organisation_id)

    async def get_or_create(self, name: str, country: str | None) -> tuple[Organisation, bool]:
        """Find an organisation by name or register it, unverified."""
        existing = await self.by_name(name)
        if existing is not None:
            return existing, False
        organisation = Organisation(name=" ".join(name.split()), name_key=self.key(name), country=country)
        self.session.add(organisation)
        await self.session.flush()
        return organisation, True

    async def confirm_members(self, organisation_id: int) -> list[Person]:
        """Confirm every unconfirmed member of an organisation; returns them, by number."""
        claimed = [p for p in await self.members(organisation_id) if not p.membership_confirmed]
        for person in claimed:
            person.membership_confirmed = True
        await self.session.flush()
        return claimed

    async def members(self, organisation_id: int) -> Sequence[Person]:
        """The (non-erased) persons who named this organisation, by number."""
        result = await self.session.execute(
            select(Person)
            .where(Person.organisation_id == organisation_id, Person.erased_at.is_(None))
            .order_by(Person.id)
        )
        return result.scalars().all()

    async def overview(
        self, verified: bool | None = None, country: str | None = None
    ) -> list[tuple[Organisation, int, int]]:
        """Organisations (optionally only verified or unverified ones, or of one country), each with how many
        members claim it and how many the secretariat confirmed."""
        counts = (
            select(
                Person.organisation_id,
                func.count(Person.id).label("claimed"),
                func.count(Person.id).filter(Person.membership_confirmed.is_(True)).label("confirmed"),
            )
            .where(Person.erased_at.is_(None))
            .group_by(Person.organisation_id)
            .subquery()
        )
        query = select(
            Organisation, func.coalesce(counts.c.claimed, 0), func.coalesce(counts.c.confirmed, 0)
        ).outerjoin(counts, counts.c.organisation_id == Organisation.id)
        if verified is not None:
            query = query.where(Organisation.verified.is_(verified))
        if country:
            query = query.where(func.lower(Organisation.country) == country.casefold())
        result = await self.session.execute(query.order_by(Organisation.id))
        return [
            (organisation, int(claimed), int(confirmed)) for organisation, claimed, confirmed in result.all()
        ]

    async def member_count(self, organisation_id: int) -> int:
        """How many (non-erased) persons belong to an organisation."""
        result = await self.session.execute(
            select(func.count(Person.id)).where(
                Person.organisation_id == organisation_id, Person.erased_at.is_(None)
            )
        )
        return int(result.scalar_one())


class ChannelRepository:
    """Group chats and channels the bot is in."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_or_create(self, platform: str, workspace: str, chat_id: str, title: str = "") -> Channel:
        """The channel row for a chat, created when first seen."""
        result = await self.session.execute(
            select(Channel).where(
                Channel.platform == platform, Channel.workspace == workspace, Channel.chat_id == chat_id
            )
        )
        channel = result.scalar_one_or_none()
        if channel is None:
            channel = Channel(platform=platform, workspace=workspace, chat_id=chat_id, title=title or None)
            self.session.add(channel)
            await self.session.flush()
        return channel


class ConversationRepository:
    """Persisted multi-step flows: at most one per person and chat."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self, person_id: int, platform: str, chat_id: str) -> Conversation | None:
        """The flow in progress for this person in this chat, if any."""
        result = await self.session.execute(
            select(Conversation).where(
                Conversation.person_id == person_id,
                Conversation.platform == platform,
                Conversation.chat_id == chat_id,
            )
        )
        return result.scalar_one_or_none()

    async def start(
        self, person_id: int, platform: str, chat_id: str, flow: str, step: str, data: dict[str, Any]
    ) -> Conversation:
        """Start ``flow`` at ``step``, replacing any flow in progress in this chat."""
        await self.session.execute(
            delete(Conversation).where(
                Conversation.person_id == person_id,
                Conversation.platform == platform,
                Conversation.chat_id == chat_id,
            )
        )
        conversation = Conversation(
            person_id=person_id,
            platform=platform,
            chat_id=chat_id,
            flow=flow,
            step=step,
            data=dict(data),
            token=secrets.token_hex(4),
        )
        self.session.add(conversation)
        await self.session.flush()
        return conversation

    async def finish(self, conversation: Conversation) -> None:
        """End a flow and forget its answers."""
        await self.session.delete(conversation)
        await self.session.flush()


class AuditRepository:
    """The audit trail. Detail must never contain sensitive text: ids, roles and statuses only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, actor_id: int | None, action: str, subject: str, **detail: Any) -> None:
        """Append one audit entry; a reporter's own actions are recorded without who did them."""
        if action in PSEUDONYMOUS_ACTIONS:
            actor_id = None
        self.session.add(AuditEntry(actor_id=actor_id, action=action, subject=subject, detail=detail))
        await self.session.flush()

    async def entries(self, subject: str | None = None, limit: int = 50) -> Sequence[AuditEntry]:
        """Newest entries first, optionally for one subject."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(AuditEntry.subject == subject)
        result = await self.session.execute(query)
        return result.scalars().all()


# Claimed by the unique constraint, in one round trip (see InsertOnce).
_CLAIM = InsertOnce(ProcessedEvent, ("platform", "event_id", "owner", "created_at"), ("platform", "event_id"))


class EventLog:
    """Platform event ids already processed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, platform: str, event_id: str, owner: int | None = None) -> bool:
        """Record an event id (as its keyed hash); False when it was already processed (a retry or a replay).

        One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (SQLite and PostgreSQL alike): the event's
        transaction is never spoilt by the unique constraint and needs no savepoint. During a key rotation the
        hashes under older keys are checked first, so a replay is still recognised.

        Args:
            owner: the person whose event it is, when already known (so ``forget`` can remove it); otherwise
                it is filled in once the person is found or created (:meth:`PersonRepository.get_or_create`).
        """
        hashes = lookup_hashes(EVENT_ID, [event_id])
        if len(hashes) > 1:
            seen = await self.session.execute(
                select(ProcessedEvent.id)
                .where(ProcessedEvent.platform == platform, ProcessedEvent.event_id.in_(hashes[1:]))
                .limit(1)
            )
            if seen.first() is not None:
                return False
        values = {
            "platform": platform,
            "event_id": hashes[0],
            "owner": None if owner is None else active_keyring().lookup(EVENT_OWNER, str(owner)),
            "created_at": utcnow(),
        }
        claimed = await _CLAIM(self.session, values)
        if claimed is None:
            return False
        if owner is None:
            self.session.info[_CLAIMED] = claimed
        return True

    async def seen(self, platform: str, event_id: str) -> bool:
        """Whether an event id was recorded as processed."""
        hashes = lookup_hashes(EVENT_ID, [event_id])
        found = await self.session.execute(
            select(ProcessedEvent.id).where(
                ProcessedEvent.platform == platform, ProcessedEvent.event_id.in_(hashes)
            )
        )
        return found.first() is not None

    async def prune(self, before: datetime) -> int:
        """Drop ids older than ``before``; platforms stop retrying long before that."""
        result = await self.session.execute(delete(ProcessedEvent).where(ProcessedEvent.created_at < before))
        return int(getattr(result, "rowcount", 0) or 0)


class Store:
    """All repositories over one session (one per event)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.persons = PersonRepository(session)
        self.organisations = OrganisationRepository(session)
        self.channels = ChannelRepository(session)
        self.conversations = ConversationRepository(session)
        self.audit = AuditRepository(session)
        self.events = EventLog(session)
