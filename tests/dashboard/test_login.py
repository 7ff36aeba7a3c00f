"""Signing in to the dashboard: one-time links from the bot, sessions in the store, CSRF, roles on every request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import time_machine
from sqlalchemy import select

from bot.app import App
from storage.dashboard_logins import IDLE_TIMEOUT, LIFETIME, LINK_VALIDITY
from storage.models import AuditEntry, DashboardLogin, Person, Role
from tests.dashboard.site import Dashboard, csrf_of, dashboard_fixture, signed_in
from tests.support import chat


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


def jar_client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_no_session_is_sent_to_the_sign_in_page(dashboard: Dashboard) -> None:
    async with jar_client() as client, client.get(f"{dashboard.base}/dashboard/cases") as response:
        assert response.url.path == "/dashboard/login"
        assert response.status == 401
        page = await response.text()
    assert "DASHBOARD" in page and "private chat" in page


async def test_sign_in_page_speaks_the_browser_language(dashboard: Dashboard) -> None:
    headers = {"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"}
    async with (
        jar_client() as client,
        client.get(f"{dashboard.base}/dashboard/login", headers=headers) as answer,
    ):
        page = await answer.text()
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert "«لوحة»" in page.replace("\u2068", "").replace(
        "\u2069", ""
    )  # the command word an Arabic speaker types, in the sentence


async def test_a_link_signs_in_once_and_a_preview_does_not_use_it(dashboard: Dashboard) -> None:
    link = await dashboard.link_for("amina")
    async with jar_client() as client:
        async with client.get(link) as preview:  # what a link preview or the person's first click does
            assert preview.status == 200
            assert "<form" in await preview.text()
        async with client.post(link, allow_redirects=False) as used:
            assert used.status == 303
            cookie = used.cookies["sos_dashboard"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/dashboard"
        async with client.get(f"{dashboard.base}/dashboard/") as home:
            assert home.status == 200
            assert "نظرة عامة" in await home.text()  # Amina reads Arabic
    async with jar_client() as other, other.post(link, allow_redirects=False) as again:
        assert again.status == 403
        assert "not valid" in await again.text() or "غير صالح" in await again.text()


async def test_an_expired_link_is_refused(dashboard: Dashboard) -> None:
    link = await dashboard.link_for("sam")
    with time_machine.travel(datetime.now(UTC) + LINK_VALIDITY + timedelta(seconds=5)):
        async with jar_client() as client, client.post(link, allow_redirects=False) as answer:
            assert answer.status == 403


@pytest.mark.parametrize("key", ["rosa", "ahmed"])
async def test_members_and_defenders_get_no_link(dashboard: Dashboard, key: str) -> None:
    answers = await chat(dashboard.app, key).say("dashboard")
    assert not any("/dashboard/login/" in answer for answer in answers)
    async with dashboard.app.sessions() as session:
        assert (await session.execute(select(DashboardLogin))).first() is None


async def test_a_link_of_someone_no_longer_secretariat_is_refused(dashboard: Dashboard) -> None:
    link = await dashboard.link_for("sam")
    async with dashboard.app.sessions() as session, session.begin():
        for person in (
            await session.execute(select(Person).where(Person.display_name.is_not(None)))
        ).scalars():
            if person.display_name == "Sam (secretariat)":
                person.role = Role.MEMBER
    async with jar_client() as client, client.post(link, allow_redirects=False) as answer:
        assert answer.status == 403


async def test_a_form_without_its_csrf_token_is_forbidden(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")
    async with client:
        async with client.post(f"{dashboard.base}/dashboard/language", data={"language": "fr"}) as answer:
            assert answer.status == 403
        async with client.get(f"{dashboard.base}/dashboard/") as home:
            token = csrf_of(await home.text())
        form = {"language": "fr", "csrf": token, "back": "/dashboard/"}
        async with client.post(f"{dashboard.base}/dashboard/language", data=form) as switched:
            assert switched.status == 200
            assert 'lang="fr"' in await switched.text()


async def test_logout_in_chat_ends_the_session_on_the_next_request(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")
    async with client:
        async with client.get(f"{dashboard.base}/dashboard/") as before:
            assert before.url.path == "/dashboard/"
        answers = await chat(dashboard.app, "sam").say("dashboard logout")
        assert any("1 dashboard session ended" in answer for answer in answers), answers
        async with client.get(f"{dashboard.base}/dashboard/") as after:
            assert after.url.path == "/dashboard/login"
    async with dashboard.app.sessions() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert {"dashboard.link", "dashboard.login", "dashboard.logout_all"} <= set(actions)


async def test_an_idle_session_ends(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")
    async with client:
        with time_machine.travel(datetime.now(UTC) + IDLE_TIMEOUT / 2):
            async with client.get(f"{dashboard.base}/dashboard/") as active:
                assert active.url.path == "/dashboard/"
        with time_machine.travel(datetime.now(UTC) + IDLE_TIMEOUT * 2):
            async with client.get(f"{dashboard.base}/dashboard/") as after:
                assert after.url.path == "/dashboard/login"


async def test_pages_are_not_cached_and_not_framed(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")
    async with client, client.get(f"{dashboard.base}/dashboard/") as home:
        assert home.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]


async def test_erasing_a_person_removes_their_dashboard_rows(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")
    await client.close()
    await dashboard.link_for("amina")
    sam = chat(dashboard.app, "sam")
    await sam.say("forget")
    answers = await sam.press("Erase my data")
    assert any("erased" in answer for answer in answers), answers
    async with dashboard.app.sessions() as session:
        owners = set((await session.execute(select(DashboardLogin.person_id))).scalars())
        erased = set(
            (await session.execute(select(Person.id).where(Person.erased_at.is_not(None)))).scalars()
        )
    assert len(owners) == 1 and erased and not erased & owners


async def test_the_hourly_job_removes_ended_and_expired_logins(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")  # a used link (ended) and a live session
    await client.close()
    await dashboard.link_for("amina")  # a live link
    job = dashboard.app.dispatcher.router.jobs["dashboard logins"]
    assert await job.run(dashboard.app.sessions, dashboard.app.settings) == 1
    with time_machine.travel(datetime.now(UTC) + LIFETIME + timedelta(minutes=1)):
        assert await job.run(dashboard.app.sessions, dashboard.app.settings) == 2
    async with dashboard.app.sessions() as session:
        assert (await session.execute(select(DashboardLogin))).first() is None
