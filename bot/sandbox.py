"""Sandbox data: made-up people and organisations modelled on the network's own pages, and the newcomer's guide.

Idempotent: running it twice changes nothing. The names are fictional; the organisations' kinds and the
working groups are the network's (Women and ESCR, Corporate Accountability, Strategic Litigation, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.commands import localised_word
from bot.core.i18n import LANGUAGE_NAMES, translator
from bot.dashboard.links import base_url, login_url
from handlers.labels import role_label
from storage.dashboard_logins import LINK_VALIDITY, DashboardLogins
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


# Secretariat members for the default languages no one in PEOPLE reads as secretariat: `make run` opens as the
# one who reads SOS_DEFAULT_LANGUAGE. Seeded only once someone opens them, so the usual sandbox stays as above.
HOSTS: tuple[SandboxPerson, ...] = (
    SandboxPerson("elena", "Elena (secretariat)", "es", Role.SECRETARIAT, None, "Europe/Madrid"),
    SandboxPerson("claire", "Claire (secretariat)", "fr", Role.SECRETARIAT, None, "Europe/Paris"),
    SandboxPerson("beatriz", "Beatriz (secretariat)", "pt", Role.SECRETARIAT, None, "America/Sao_Paulo"),
)
SECOND_PERSON_COMMAND = ".venv/bin/sosbot console --as {key}"


async def seed(sessions: async_sessionmaker[AsyncSession], also: Iterable[SandboxPerson] = ()) -> None:
    """Create the sandbox organisations and people (and ``also`` these hosts) if they are not there yet."""
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
        for spec in (*PEOPLE, *also):
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
    return next((p for p in (*PEOPLE, *HOSTS) if p.key == key.casefold()), None)


def host(language: str) -> SandboxPerson:
    """The secretariat member who reads ``language``: the person `make run` opens as."""
    return next(p for p in (*PEOPLE, *HOSTS) if p.role is Role.SECRETARIAT and p.language == language)


def guide(person: SandboxPerson) -> str:
    """The newcomer's guide, in ``person``'s language: who is who, what to try first, a second terminal."""
    t = translator(person.language)
    people = [*PEOPLE, person] if person not in PEOPLE else list(PEOPLE)
    lines = [
        t.gettext(
            "Welcome to the SOS bot sandbox. You are {name}, of the secretariat, and the bot writes to you in "
            "{language}.",
            name=person.name,
            language=LANGUAGE_NAMES[person.language],
        ),
        t.gettext("The people of this sandbox:"),
    ]
    for someone in people:
        role = role_label(t, someone.role)
        if someone.organisation:
            role = t.gettext("{role} at {organisation}", role=role, organisation=someone.organisation)
        lines.append(
            "  "
            + t.gettext(
                "{key}: {name}, {role}, reads {language}",
                key=someone.key,
                name=someone.name,
                role=role,
                language=LANGUAGE_NAMES[someone.language],
            )
        )
    defender = next(p for p in PEOPLE if p.role is Role.DEFENDER and p.language != person.language)
    lines += [
        t.gettext(
            "To be a second person, open another terminal in this folder and type: {command}",
            command=SECOND_PERSON_COMMAND.format(key="lucia"),
        ),
        t.gettext(
            "Try first: {help} here. Then open {defender} (a defender) in a second terminal and type {report}: "
            "the alert reaches you here, and what you send with {reply} reaches them.",
            help=_word("help", person.language),
            defender=defender.key,
            report=_word("report", person.language),
            reply=_word("reply", person.language),
        ),
        t.gettext("#N presses button N of the latest message; Ctrl-D or Ctrl-C quits."),
    ]
    return "\n".join(lines)


async def dashboard_line(sessions: async_sessionmaker[AsyncSession], settings: Settings, key: str) -> str:
    """A one-time link to the web dashboard for sandbox secretariat member ``key``, in a sentence of theirs."""
    person_spec = find(key)
    language = person_spec.language if person_spec else settings.default_language
    async with sessions() as session, session.begin():
        store = Store(session)
        person, _created = await store.persons.get_or_create("console", "", key)
        secret = await DashboardLogins(session).issue_link(person)
        await store.audit.record(person.id, "dashboard.link", f"person:{person.id}")
    sentence = translator(language).ngettext(
        "The web dashboard, in one click (this link works once, for {n} minute; type {word} for a new one):",
        "The web dashboard, in one click (this link works once, for {n} minutes; type {word} for a new one):",
        int(LINK_VALIDITY.total_seconds() // 60),
        word=_word("dashboard", language),
    )
    return "\n".join((sentence, login_url(base_url(settings), secret)))  # the address alone on its line


def hint(name: str, language: str) -> str:
    """One line for a console opened in a terminal: who you are and how to begin."""
    t = translator(language)
    return t.gettext(
        "You are {name}. Type {help} or any text; #N presses button N; Ctrl-D quits.",
        name=name,
        help=_word("help", language),
    )


def _word(command: str, language: str) -> str:
    return localised_word(command, language).upper()
