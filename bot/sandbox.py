"""Sandbox data: made-up people and organisations modelled on the network's own pages.

Idempotent: running it twice changes nothing. The names are fictional; the organisations' kinds and the
working groups are the network's (Women and ESCR, Corporate Accountability, Strategic Litigation, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Role
from storage.repositories import Store


@dataclass(frozen=True)
class SandboxPerson:
    """A sandbox person, reachable as ``sosbot console --as <key>``."""

    key: str
    name: str
    language: str
    role: Role
    organisation: str | None = None
    timezone: str | None = None


ORGANISATIONS: tuple[tuple[str, str, str, tuple[str, ...], bool], ...] = (
    ("ProDESC", "Mexico", "americas", ("corporate-accountability", "strategic-litigation"), True),
    ("Green Advocates", "Liberia", "africa", ("corporate-accountability", "monitoring"), True),
    ("Comité des femmes rurales", "Senegal", "africa", ("women-escr",), True),
    ("Terra Viva", "Brazil", "americas", ("social-movements",), True),
    ("Shams Collective", "Lebanon", "mena", ("economic-policy",), False),
)

PEOPLE: tuple[SandboxPerson, ...] = (
    SandboxPerson("amina", "Amina (secretariat)", "ar", Role.SECRETARIAT, None, "Africa/Cairo"),
    SandboxPerson("sam", "Sam (secretariat)", "en", Role.SECRETARIAT, None, "America/New_York"),
    SandboxPerson("lucia", "Lucía Hernández", "es", Role.MEMBER, "ProDESC", "America/Mexico_City"),
    SandboxPerson("joseph", "Joseph Kollie", "en", Role.MEMBER, "Green Advocates", "Africa/Monrovia"),
    SandboxPerson("awa", "Awa Diop", "fr", Role.MEMBER, "Comité des femmes rurales", "Africa/Dakar"),
    SandboxPerson("rafael", "Rafael Souza", "pt", Role.DEFENDER, None, "America/Sao_Paulo"),
    SandboxPerson("karim", "Karim Haddad", "ar", Role.DEFENDER, None, "Asia/Beirut"),
)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Create the sandbox organisations and people if they are not there yet."""
    async with sessions() as session, session.begin():
        store = Store(session)
        org_ids: dict[str, int] = {}
        for name, country, region, groups, verified in ORGANISATIONS:
            organisation, created = await store.organisations.get_or_create(name, country)
            if created:
                organisation.region = region
                organisation.working_groups = list(groups)
                organisation.verified = verified
            org_ids[name] = organisation.id
        for spec in PEOPLE:
            person, created = await store.persons.get_or_create(
                "console", "", spec.key, spec.name, private_chat_id=f"dm-{spec.key}"
            )
            if not created:
                continue
            person.language = spec.language
            person.role = spec.role
            person.timezone = spec.timezone
            if spec.organisation:
                person.organisation_id = org_ids[spec.organisation]
                person.membership_confirmed = True
            await store.audit.record(None, "sandbox.seed", f"person:{person.id}", role=spec.role.value)


def find(key: str) -> SandboxPerson | None:
    """The sandbox person with this key."""
    return next((p for p in PEOPLE if p.key == key.casefold()), None)
