"""The dashboard's people: roles, languages and organisations; grant, revoke and approve as in chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import App
from storage.models import AuditEntry, Person, Role
from tests.dashboard.site import Dashboard, csrf_of, dashboard_fixture, signed_in
from tests.dashboard.test_organisations import page, post
from tests.support import chat


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def ids(app: App) -> dict[str, int]:
    """Sandbox people's numbers by first name."""
    async with app.sessions() as session:
        persons = (await session.execute(select(Person))).scalars().all()
    return {p.display_name.split()[0]: p.id for p in persons if p.display_name}


async def role_of(app: App, person_id: int) -> Role:
    async with app.sessions() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return person.role


async def test_the_list_shows_roles_languages_and_organisations(dashboard: Dashboard) -> None:
    people = f"{dashboard.base}/dashboard/people"
    async with await signed_in(dashboard, "sam") as sam:
        listing = await page(sam, people)
    assert "Lucía Hernández" in listing and "ProDESC (confirmed)" in listing
    assert "Spanish" in listing and "Portuguese" in listing and "secretariat" in listing
    assert "no organisation" in listing
    async with await signed_in(dashboard, "amina") as amina:
        arabic = await page(amina, people)
    assert "الإسبانية" in arabic and "البرتغالية" in arabic  # CLDR names in the reader's language
    assert ">secretariat<" not in arabic and ">member<" not in arabic  # role labels translated


async def test_erased_people_appear_only_by_number(dashboard: Dashboard) -> None:
    joseph = (await ids(dashboard.app))["Joseph"]
    forget = chat(dashboard.app, "joseph")
    await forget.say("/forget")
    await forget.press("Erase my data")
    async with dashboard.app.sessions() as session:
        erased = await session.get(Person, joseph)
        assert erased is not None and erased.erased_at is not None
    async with await signed_in(dashboard, "sam") as sam:
        listing = await page(sam, f"{dashboard.base}/dashboard/people")
        assert "Joseph" not in listing and "Kollie" not in listing
        assert f"#{joseph}</span>" in listing.split("Erased")[-1]
        async with sam.post(
            f"{dashboard.base}/dashboard/people/{joseph}/grant",
            data={"csrf": csrf_of(listing), "role": "member"},
        ) as refused:
            assert refused.status == 404


async def test_grant_and_revoke_are_the_chat_operations(dashboard: Dashboard) -> None:
    found = await ids(dashboard.app)
    rafael, amina, sam_id = found["Rafael"], found["Amina"], found["Sam"]
    people = f"{dashboard.base}/dashboard/people"
    async with await signed_in(dashboard, "sam") as sam:
        async with sam.post(f"{people}/{rafael}/grant", data={"role": "member"}) as refused:
            assert refused.status == 403
        granted = await post(sam, f"{people}/{rafael}/grant", role="member")
        assert f"#{rafael} is now: member (was: defender)." in granted
        assert f"#{rafael} already has that role." in await post(
            sam, f"{people}/{rafael}/grant", role="member"
        )
        revoked = await post(sam, f"{people}/{rafael}/revoke")
        assert f"#{rafael} is now: defender (was: member)." in revoked
        await post(sam, f"{people}/{amina}/revoke")
        last = await post(sam, f"{people}/{sam_id}/revoke")  # Sam is now the only one: refused at once
        assert "This is the last secretariat member: grant the role to someone else first." in last
    assert await role_of(dashboard.app, sam_id) == Role.SECRETARIAT
    async with dashboard.app.sessions() as session:
        changes = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "role.change")))
            .scalars()
            .all()
        )
    assert [(c.actor_id, c.subject, c.detail["new"]) for c in changes] == [
        (sam_id, f"person:{rafael}", "member"),
        (sam_id, f"person:{rafael}", "defender"),
        (sam_id, f"person:{amina}", "defender"),
    ]


async def test_giving_up_ones_own_role_asks_first(dashboard: Dashboard) -> None:
    sam_id = (await ids(dashboard.app))["Sam"]
    people = f"{dashboard.base}/dashboard/people"
    async with await signed_in(dashboard, "sam") as sam:
        token = csrf_of(await page(sam, people))
        async with sam.post(f"{people}/{sam_id}/revoke", data={"csrf": token}) as asked:
            question = await asked.text()
            assert asked.status == 200 and "You are about to give up your own role (secretariat)." in question
        assert await role_of(dashboard.app, sam_id) == Role.SECRETARIAT
        async with sam.post(f"{people}/{sam_id}/revoke", data={"csrf": token, "confirm": "yes"}) as done:
            assert done.url.path == "/dashboard/login"  # no longer secretariat: out at once
    assert await role_of(dashboard.app, sam_id) == Role.DEFENDER


async def test_the_secretariat_role_waits_for_a_second_member(dashboard: Dashboard) -> None:
    found = await ids(dashboard.app)
    lucia, sam_id = found["Lucía"], found["Sam"]
    await chat(dashboard.app, "sam").say("/settings two-person on")
    people = f"{dashboard.base}/dashboard/people"
    async with await signed_in(dashboard, "sam") as sam:
        asked = await post(sam, f"{people}/{lucia}/grant", role="secretariat")
        assert (
            f"Giving the secretariat role to #{lucia} waits for a second secretariat member's approval"
            in asked
        )
        assert f"Secretariat role asked by #{sam_id}" in asked
        own = await post(sam, f"{people}/{lucia}/approve")
        assert "Another secretariat member must approve this" in own
    assert await role_of(dashboard.app, lucia) == Role.MEMBER
    async with await signed_in(dashboard, "amina") as amina:
        await post(amina, f"{people}/{lucia}/approve")
        nothing = await post(amina, f"{people}/{lucia}/approve")
        assert "لا يوجد طلب للموافقة عليه لهذا الشخص." in nothing
    assert await role_of(dashboard.app, lucia) == Role.SECRETARIAT
    async with dashboard.app.sessions() as session:
        entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
    change = next(e for e in entries if e.action == "role.change")
    assert change.detail == {"old": "member", "new": "secretariat", "requested_by": sam_id}
    assert any(e.action == "role.request" and e.actor_id == sam_id for e in entries)
