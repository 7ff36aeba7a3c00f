"""SQLAlchemy 2 models of the shared case store (see DESIGN.md, "Domain").

Sensitive columns use :class:`EncryptedText`, so what is on disk is a Fernet token bound to its row (see
:mod:`storage.sealed`), never the text. Platform user and chat ids and a case's reporter are sealed too, with a
keyed look-up hash beside them for queries and uniqueness. Timestamps are stored as timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.sealed import SEAL, EncryptedInt, EncryptedText, looked_up, register


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive-UTC on SQLite and ``timestamptz`` on PostgreSQL, always read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Role(enum.StrEnum):
    """What a person may do. Newcomers are defenders: they may report and nothing else privileged."""

    SECRETARIAT = "secretariat"
    MEMBER = "member"
    DEFENDER = "defender"


class ChannelKind(enum.StrEnum):
    """What a registered chat is for."""

    MEMBER = "member"
    TRIAGE = "triage"


def _string_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """Store an enum's values (not its member names) in a plain string column on every backend."""
    return Enum(
        enum_class, native_enum=False, length=20, values_callable=lambda members: [m.value for m in members]
    )


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same on every backend."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


register(Base)


def seal_column() -> Mapped[str]:
    """The row's random seal, which every sealed value of the row is bound to."""
    return mapped_column(String(24), name=SEAL)


def lookup_column(*, nullable: bool = False, index: bool = False) -> Mapped[Any]:
    """A keyed look-up hash (hex, 128 bits) of a sealed value."""
    return mapped_column(String(32), nullable=nullable, index=index)


class Organisation(Base):
    """A member organisation; only verified ones sign letters."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)  # casefolded, so "ProDESC" == "prodesc"
    country: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(50))
    working_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """One human across platforms."""

    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    seal: Mapped[str] = seal_column()
    display_name: Mapped[str | None] = mapped_column(EncryptedText("persons.display_name"))
    language: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(_string_enum(Role), default=Role.DEFENDER)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # The secretariat confirms that a person speaks for their organisation before they may sign for it.
    membership_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    erased_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    identities: Mapped[list[Identity]] = relationship(back_populates="person", cascade="all, delete-orphan")


class Identity(Base):
    """(platform, workspace, user id) → person. Workspace is '' where the platform has none."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    seal: Mapped[str] = seal_column()
    user_id: Mapped[str] = looked_up("identities.user_id", "user_hash")
    user_hash: Mapped[str] = lookup_column()
    private_chat_id: Mapped[str | None] = looked_up(
        "identities.private_chat_id", "private_chat_hash", nullable=True
    )
    private_chat_hash: Mapped[str | None] = lookup_column(nullable=True, index=True)
    language_hint: Mapped[str | None] = mapped_column(String(16))
    person: Mapped[Person] = relationship(back_populates="identities")


class Channel(Base):
    """A Telegram group/channel or Slack channel the bot knows about."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "workspace", "chat_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    seal: Mapped[str] = seal_column()
    chat_id: Mapped[str] = looked_up("channels.chat_id", "chat_hash")
    chat_hash: Mapped[str] = lookup_column()
    title: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[ChannelKind | None] = mapped_column(_string_enum(ChannelKind))
    language: Mapped[str | None] = mapped_column(String(5))
    region: Mapped[str | None] = mapped_column(String(50))
    working_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    bot_member: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """A person's wish to get alerts in their private chat, optionally narrowed to regions and working groups."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), unique=True)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every region
    working_groups: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every group
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """A threat report. Everything that could identify or endanger someone is encrypted."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    threat_type: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(100))
    urgency: Mapped[str | None] = mapped_column(String(20))
    consent: Mapped[str] = mapped_column(String(20), default="secretariat")
    names_publishable: Mapped[bool] = mapped_column(Boolean, default=False)
    seal: Mapped[str] = seal_column()
    # Who reported, sealed: a stolen database does not link a case to a person (look-ups go by keyed hash).
    reporter_id: Mapped[int | None] = looked_up(
        "cases.reporter_id", "reporter_hash", kind=EncryptedInt, nullable=True
    )
    reporter_hash: Mapped[str | None] = lookup_column(nullable=True, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    at_risk: Mapped[str | None] = mapped_column(EncryptedText("cases.at_risk"))
    place: Mapped[str | None] = mapped_column(EncryptedText("cases.place"))
    what_happened: Mapped[str | None] = mapped_column(EncryptedText("cases.what_happened"))
    when_happened: Mapped[str | None] = mapped_column(EncryptedText("cases.when_happened"))
    support_requested: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str | None] = mapped_column(EncryptedText("cases.contact"))
    # The token of the report conversation that created it, so a second press of Send finds it (not a secret).
    origin: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    purged_at: Mapped[datetime | None] = mapped_column()


class CaseEvent(Base):
    """One entry of a case's timeline: status change, note, relayed message (body encrypted)."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    seal: Mapped[str] = seal_column()
    body: Mapped[str | None] = mapped_column(EncryptedText("case_events.body"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appeal(Base):
    """An urgent appeal; texts live in :class:`AppealText`, one per language."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadline: Mapped[datetime | None] = mapped_column()
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppealText(Base):
    """An appeal's text in one language."""

    __tablename__ = "appeal_texts"
    __table_args__ = (UniqueConstraint("appeal_id", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(Text)
    what_happened: Mapped[str] = mapped_column(Text)
    what_to_do: Mapped[str] = mapped_column(Text)


class Letter(Base):
    """A collective letter open for signature."""

    __tablename__ = "letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    addressee: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    signing_mode: Mapped[str] = mapped_column(String(20), default="organisations")
    deadline: Mapped[datetime | None] = mapped_column()
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LetterText(Base):
    """A letter's text in one language."""

    __tablename__ = "letter_texts"
    __table_args__ = (UniqueConstraint("letter_id", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    body: Mapped[str] = mapped_column(Text)


class Signature(Base):
    """One signature per organisation (or person) and letter, whichever platform it came from.

    ``signer_key`` is ``org:<id>`` or ``person:<id>``: the unique constraint on it is what makes two
    simultaneous presses of Sign give one signature.
    """

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("letter_id", "signer_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    signer_key: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    publish_name: Mapped[bool] = mapped_column(Boolean, default=False)
    platform: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """Outbox row: one message to send or edit on one target; unique per (what, target, revision)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subject", "platform", "workspace", "chat_hash", "revision"),
        Index("ix_deliveries_claim", "status", "priority", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(60))  # e.g. "appeal:12", "letter:3:count"
    revision: Mapped[int] = mapped_column(Integer, default=1)
    operation: Mapped[str] = mapped_column(String(10), default="send")  # send, edit, delete
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    seal: Mapped[str] = seal_column()
    chat_id: Mapped[str] = looked_up("deliveries.chat_id", "chat_hash")
    chat_hash: Mapped[str] = lookup_column(index=True)
    language: Mapped[str] = mapped_column(String(5))
    priority: Mapped[int] = mapped_column(Integer, default=5)  # lower goes first
    # The message itself (text, buttons), encrypted: a relayed message from a defender may sit here a while.
    payload: Mapped[str] = mapped_column(EncryptedText("deliveries.payload"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, leased, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class Conversation(Base):
    """Persisted state of a multi-step flow for one person in one chat, so a restart resumes it.

    ``data`` holds the answers collected so far; flows that collect sensitive answers keep them in
    ``secret_data`` (encrypted JSON text) instead.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("person_id", "platform", "chat_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    seal: Mapped[str] = seal_column()
    chat_id: Mapped[str] = looked_up("conversations.chat_id", "chat_hash")
    chat_hash: Mapped[str] = lookup_column()
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_data: Mapped[str | None] = mapped_column(EncryptedText("conversations.secret_data"))
    token: Mapped[str] = mapped_column(String(16))  # ties buttons to this run of the flow
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who did what to which object, and when. Never holds sensitive text."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedEvent(Base):
    """Platform event ids already handled, so a retried or replayed delivery is processed once.

    Only keyed hashes are kept (the id is never read back): ``event_id`` of the platform's id, ``owner`` of
    the person whose event it was, so ``forget`` removes their rows.
    """

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(Base):
    """Network-wide settings the secretariat can change from chat (e.g. the two-person rule)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class DashboardLogin(Base):
    """A one-time dashboard link or a dashboard session of a secretariat member.

    Only a SHA-256 of the secret is kept, so a copy of the database opens no dashboard. A link becomes used
    when it is exchanged for a session; a session ends when revoked, idle too long or past its lifetime.
    """

    __tablename__ = "dashboard_logins"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "link" or "session"
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str | None] = mapped_column(String(64))  # sessions only: the token every form carries
    seal: Mapped[str] = seal_column()
    # What the bot answered to the last action, shown once on the next page (encrypted: it may name a case).
    notices: Mapped[str | None] = mapped_column(EncryptedText("dashboard_logins.notices"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()  # a link used, a session revoked
