"""No internal key reaches a person: the main commands of every role, in all five languages, are scanned for the
keys the code itself defines (targets, working groups, failure kinds, audit actions, timeline kinds, settings,
language codes). The list is built from the code's tables, so a new key is checked as soon as it exists."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.app import App
from bot.config import LANGUAGES
from bot.core.delivery import FailureKind
from handlers.labels import AUDIT_LABELS, FAILURE_LABELS
from handlers.report_steps import WHO
from storage.appeals import TWO_PERSON_RULE
from storage.cases import CaseRepository
from storage.models import Person
from storage.targeting import REGIONS, WORKING_GROUPS
from tests.handlers.test_appeals import draft
from tests.handlers.test_letters import REF as LETTER
from tests.handlers.test_letters import publish
from tests.support import chat

TIMELINE_KINDS = ("to_reporter", "from_reporter")
SETTING_KEYS = (TWO_PERSON_RULE, "delete_reports")


def internal_keys() -> list[str]:
    """Every key that must never be shown, from the code's own tables."""
    keys = [f"{kind}:{value}" for kind, values in (("region", REGIONS), ("group", WORKING_GROUPS),
                                                   ("language", LANGUAGES)) for value in values]  # fmt: skip
    keys += [group for group in WORKING_GROUPS if "-" in group]
    keys += [kind.value for kind in FailureKind if "_" in kind.value] + [
        k for k in FAILURE_LABELS if "_" in k
    ]
    keys += list(AUDIT_LABELS) + list(TIMELINE_KINDS) + list(SETTING_KEYS)
    return sorted(set(keys))


# A language code shown as a value: «(es)», «• fr:», an isolated «ar».
CODE = re.compile(r"(?:\(|•\s|\u2068)(?:" + "|".join(LANGUAGES) + r")(?:\)|:|\u2069)")
# Who is at risk, as a report stores it («me», «person — Ana»), shown after a heading or copied into a draft.
AT_RISK = re.compile(r"(?:^|:\s|\u2068)(?:" + "|".join(WHO) + r")(?:\s—|:|\u2069|$)", re.MULTILINE)


async def cases_at_risk(app: App) -> list[str]:
    """Two reports the whole network may read, names publishable: one about the reporter, one with names."""
    references = []
    async with app.sessions() as session, session.begin():
        persons = (await session.execute(select(Person))).scalars()
        rafael = next(p for p in persons if p.display_name == "Rafael Souza")
        for at_risk in ("me", "person — Ana López"):
            case = await CaseRepository(session).create(
                at_risk=at_risk, what_happened="Threatened at home.", consent="network", names_publishable=True,
                country="BR", threat_type="attack", urgency="days", reporter_id=rafael.id,
            )  # fmt: skip
            references.append(case.reference)
    return references


async def reads(app: App, key: str, language: str) -> None:
    async with app.sessions() as session, session.begin():
        for person in (await session.execute(select(Person))).scalars():
            if (person.display_name or "").lower().startswith(key):
                person.language = language


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_internal_key_in_any_reply(app: App, language: str) -> None:
    await publish(app)  # the network, and a published letter signed by nobody yet
    sam = chat(app, "sam")
    await draft(app, sam)
    at_risk = await cases_at_risk(app)
    for key in ("sam", "lucía", "joseph", "rafael"):
        await reads(app, key, language)
    replies: list[str] = []
    secretariat = [
        "/help", "/channels", "/audit", "/appeal list", "/appeal", "/appeal target UA-{year}-001 region:africa",
        "/appeal preview UA-{year}-001", "/appeal send UA-{year}-001", "/appeal status UA-{year}-001",
        f"/letter status {LETTER}", f"/letter target {LETTER} group:women-escr", "/letter", "/settings",
        "/settings two-person on", "/cases", "/case", "/channel",
    ]  # fmt: skip
    year = LETTER.split("-")[1]
    for reference in at_risk:
        secretariat += [f"/case {reference}", f"/case {reference} appeal", f"/case {reference} letter"]
    secretariat += ["/appeal preview UA-{year}-002", "/appeal preview UA-{year}-003",
                    "/letter preview CL-{year}-002", "/letter preview CL-{year}-003"]  # fmt: skip
    for command in secretariat:
        replies += await sam.say(command.format(year=year))
    for key, commands in (("lucia", ["/help", "/subscribe"]), ("rafael", ["/help", "/mycases"])):
        for command in commands:
            replies += await chat(app, key).say(command)
    assert len(replies) > 20
    keys = internal_keys()
    leaks = [(key, reply) for reply in replies for key in keys if key in reply]
    leaks += [(match.group(), reply) for reply in replies for match in CODE.finditer(reply)]
    leaks += [(match.group(), reply) for reply in replies for match in AT_RISK.finditer(reply)]
    assert leaks == []


def test_the_key_list_is_built_from_the_code() -> None:
    keys = internal_keys()
    assert "region:africa" in keys and "person.created" in keys and "rate_limited" in keys
    assert "women-escr" in keys and "to_reporter" in keys and TWO_PERSON_RULE in keys
