"""Who receives a fan-out: member channels and subscribed members matching a target, each in a language.

A target spec is ``all``, ``region:<r>``, ``group:<working group>`` or ``language:<lang>``. Appeals and
letters share this: :func:`resolve` gives the outbox targets, :func:`recipients` adds, for content that
exists in some languages only, which language each target will actually read and whether that is a
fallback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.languages import LANGUAGES
from storage.models import Channel, ChannelKind, Identity, Person, Role, Subscription
from storage.outbox import Target

KINDS = ("all", "region", "group", "language")
PRIVATE, GROUP = "private", "group"  # chat kinds (the values of the core's ChatKind)
REGIONS: tuple[str, ...] = ("africa", "americas", "asia", "europe", "mena")
WORKING_GROUPS: tuple[str, ...] = ("women-escr", "corporate-accountability", "strategic-litigation",
                                   "economic-policy", "monitoring", "social-movements")  # fmt: skip
# Who may receive direct alerts: a person whose member role was revoked stops receiving at once.
SUBSCRIBER_ROLES = (Role.MEMBER, Role.SECRETARIAT)


@dataclass(frozen=True)
class TargetSpec:
    """A parsed target: everyone, or one region, working group or language."""

    kind: str = "all"
    value: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"

    @classmethod
    def stored(cls, data: dict[str, str] | None) -> TargetSpec:
        """The spec kept in a JSON column (``{"kind": ..., "value": ...}``); everyone when unset."""
        if not data:
            return cls()
        return parse(f"{data.get('kind', 'all')}:{data.get('value', '')}".rstrip(":")) or cls()

    def as_json(self) -> dict[str, str]:
        """The spec for a JSON column."""
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class Recipient:
    """One target of content available in some languages only.

    Attributes:
        target: where the copy goes, with the language its reader wants (``target.language``).
        reads: the language of the text the reader will get.
        fallback: True when ``reads`` is not the reader's language (no text exists in it).
    """

    target: Target
    reads: str
    fallback: bool


def parse(text: str) -> TargetSpec | None:
    """``all``, ``region:africa``, ``group:women-escr``, ``language:fr``; None when not valid."""
    kind, _, value = text.strip().lower().partition(":")
    if kind == "all" and not value:
        return TargetSpec()
    valid = {"region": REGIONS, "group": WORKING_GROUPS, "language": LANGUAGES}.get(kind, ())
    return TargetSpec(kind, value) if value in valid else None


def _channel_matches(spec: TargetSpec, language: str, region: str | None, groups: list[str]) -> bool:
    """A channel matches when it carries the target's region, working group or language itself."""
    if spec.kind == "all":
        return True
    if spec.kind == "language":
        return language == spec.value
    if spec.kind == "region":
        return region == spec.value
    return spec.value in groups


def _subscription_matches(spec: TargetSpec, language: str, subscription: Subscription) -> bool:
    """A subscriber's choice narrows what they get: no region (or group) chosen means every one."""
    regions = list(subscription.regions or [])
    groups = list(subscription.working_groups or [])
    if spec.kind == "region":
        return not regions or spec.value in regions
    if spec.kind == "group":
        return not groups or spec.value in groups
    if spec.kind == "language":
        return language == spec.value
    return True


def person_language(person: Person, identity: Identity | None, default_language: str) -> str:
    """The language a person reads: their choice, else their platform's hint, else the default."""
    hint = (identity.language_hint or "")[:2].lower() if identity is not None else ""
    for language in (person.language, hint):
        if language in LANGUAGES:
            return str(language)
    return default_language


async def resolve(session: AsyncSession, spec: TargetSpec, default_language: str) -> list[Target]:
    """Active member channels and active subscribers' private chats that match ``spec``, in id order.

    Each person gets one copy (on the first platform they linked), in their language and timezone;
    channels get theirs (or the default language) and dates in UTC.
    """
    targets: list[Target] = []
    channels = await session.execute(
        select(Channel)
        .where(Channel.kind == ChannelKind.MEMBER, Channel.active.is_(True))
        .order_by(Channel.id)
    )
    for channel in channels.scalars().all():
        language = channel.language if channel.language in LANGUAGES else default_language
        if _channel_matches(spec, language, channel.region, list(channel.working_groups or [])):
            targets.append(Target(channel.platform, channel.chat_id, language, channel.workspace, GROUP))
    subscribers = await session.execute(
        select(Subscription, Person, Identity)
        .join(Person, Person.id == Subscription.person_id)
        .join(Identity, Identity.person_id == Person.id)
        .where(
            Subscription.active.is_(True),
            Identity.private_chat_id.is_not(None),
            Person.erased_at.is_(None),
            Person.role.in_(SUBSCRIBER_ROLES),
        )
        .order_by(Subscription.id, Identity.id)
    )
    seen: set[int] = set()
    for subscription, person, identity in subscribers.all():
        if person.id in seen:
            continue  # one copy per person, on the first platform they linked
        seen.add(person.id)
        language = person_language(person, identity, default_language)
        if _subscription_matches(spec, language, subscription):
            targets.append(
                Target(
                    identity.platform,
                    identity.private_chat_id or "",
                    language,
                    identity.workspace,
                    PRIVATE,
                    person.timezone,
                )
            )
    return targets


def reading_language(language: str, available: Collection[str], default_language: str) -> str:
    """The language a reader of ``language`` gets: theirs, else the default, else the first available."""
    if language in available:
        return language
    if default_language in available or not available:
        return default_language
    return sorted(available)[0]


async def recipients(
    session: AsyncSession, spec: TargetSpec, default_language: str, available: Collection[str]
) -> list[Recipient]:
    """:func:`resolve`, with the language each target will read given the texts ``available``."""
    found = []
    for target in await resolve(session, spec, default_language):
        reads = reading_language(target.language, available, default_language)
        found.append(Recipient(target, reads, reads != target.language))
    return found


def fallback_counts(found: Iterable[Recipient]) -> tuple[Counter[str], Counter[str]]:
    """Per reader language: how many recipients in all, and how many of them get a fallback text."""
    everyone: Counter[str] = Counter()
    fallbacks: Counter[str] = Counter()
    for recipient in found:
        everyone[recipient.target.language] += 1
        fallbacks[recipient.target.language] += recipient.fallback
    return everyone, fallbacks


async def private_target(session: AsyncSession, person_id: int, default_language: str) -> Target | None:
    """Where to write to one person privately (their first linked platform), in their language."""
    rows = await session.execute(
        select(Person, Identity)
        .join(Identity, Identity.person_id == Person.id)
        .where(Person.id == person_id, Person.erased_at.is_(None), Identity.private_chat_id.is_not(None))
        .order_by(Identity.id)
        .limit(1)
    )
    found = rows.first()
    if found is None:
        return None
    person, identity = found
    return private_chat_of(person, identity, default_language)


def private_chat_of(person: Person, identity: Identity, default_language: str) -> Target:
    """The private chat of ``identity``, in its person's language and timezone."""
    return Target(
        identity.platform,
        identity.private_chat_id or "",
        person_language(person, identity, default_language),
        identity.workspace,
        PRIVATE,
        person.timezone,
    )


async def secretariat_targets(session: AsyncSession, default_language: str) -> list[Target]:
    """Where the secretariat is alerted: the active triage channels, else each member's private chat."""
    channels = await session.execute(
        select(Channel)
        .where(Channel.kind == ChannelKind.TRIAGE, Channel.active.is_(True))
        .order_by(Channel.id)
    )
    targets = [
        Target(c.platform, c.chat_id, c.language or default_language, c.workspace) for c in channels.scalars()
    ]
    if targets:
        return targets
    rows = await session.execute(
        select(Person, Identity)
        .join(Identity, Identity.person_id == Person.id)
        .where(
            Person.role == Role.SECRETARIAT, Person.erased_at.is_(None), Identity.private_chat_id.is_not(None)
        )
        .order_by(Person.id, Identity.id)
    )
    seen: set[int] = set()
    for person, identity in rows.all():
        if person.id not in seen:
            seen.add(person.id)
            language = person.language or default_language
            targets.append(
                Target(
                    identity.platform,
                    identity.private_chat_id or "",
                    language,
                    identity.workspace,
                    PRIVATE,
                )
            )
    return targets
