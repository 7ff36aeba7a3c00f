"""Who receives a fan-out: member channels and subscribed people matching a target, each in a language.

A target spec is ``all``, ``region:<r>``, ``group:<working group>`` or ``language:<lang>``. Letters and
appeals share this.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import LANGUAGES
from bot.core.events import ChatKind
from storage.models import Channel, ChannelKind, Identity, Person, Role, Subscription
from storage.outbox import Target

KINDS = ("all", "region", "group", "language")
REGIONS = ("africa", "americas", "asia", "europe", "mena")
WORKING_GROUPS = (
    "women-escr",
    "corporate-accountability",
    "strategic-litigation",
    "economic-policy",
    "monitoring",
    "social-movements",
)


@dataclass(frozen=True)
class TargetSpec:
    """A parsed target: everyone, or one region, working group or language."""

    kind: str = "all"
    value: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"


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


async def resolve(session: AsyncSession, spec: TargetSpec, default_language: str) -> list[Target]:
    """Active member channels and active subscribers' private chats that match ``spec``."""
    targets: list[Target] = []
    channels = await session.execute(
        select(Channel)
        .where(Channel.kind == ChannelKind.MEMBER, Channel.active.is_(True))
        .order_by(Channel.id)
    )
    for channel in channels.scalars().all():
        language = channel.language or default_language
        if _channel_matches(spec, language, channel.region, list(channel.working_groups or [])):
            targets.append(
                Target(channel.platform, channel.chat_id, language, channel.workspace, ChatKind.GROUP)
            )
    subscribers = await session.execute(
        select(Subscription, Person, Identity)
        .join(Person, Person.id == Subscription.person_id)
        .join(Identity, Identity.person_id == Person.id)
        .where(
            Subscription.active.is_(True), Identity.private_chat_id.is_not(None), Person.erased_at.is_(None)
        )
        .order_by(Subscription.id, Identity.id)
    )
    seen: set[int] = set()
    for subscription, person, identity in subscribers.all():
        if person.id in seen:
            continue  # one copy per person, on the first platform they linked
        language = person.language or (identity.language_hint or default_language)[:2]
        language = language if language in LANGUAGES else default_language
        regions = list(subscription.regions or [])
        region_ok = spec.kind != "region" or not regions or spec.value in regions
        groups = list(subscription.working_groups or [])
        group_ok = spec.kind != "group" or not groups or spec.value in groups
        language_ok = spec.kind != "language" or language == spec.value
        if region_ok and group_ok and language_ok:
            seen.add(person.id)
            targets.append(
                Target(
                    identity.platform,
                    identity.private_chat_id or "",
                    language,
                    identity.workspace,
                    ChatKind.PRIVATE,
                    person.timezone,
                )
            )
    return targets


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
                    ChatKind.PRIVATE,
                )
            )
    return targets
