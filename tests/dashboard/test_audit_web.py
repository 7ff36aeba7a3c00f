"""The audit log page: translated actions (as the chat's AUDIT says them), actors by name, subjects by reference,
filters by who, what, on what and when, and pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from storage.repositories import AuditRepository
from tests.dashboard.site import Dashboard, dashboard_fixture, signed_in
from tests.dashboard.test_letters_web import cells, person_id, signed_letter
from tests.handlers.test_letters import REF

RAW_KEY = re.compile(r"\b[a-z]+\.[a-z_]+\b")  # person.created, letter.sign, ...


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def audit_page(dashboard: Dashboard, key: str, query: str = "") -> str:
    client = await signed_in(dashboard, key)
    async with client, client.get(f"{dashboard.base}/dashboard/audit{query}") as answer:
        assert answer.status == 200
        return await answer.text()


async def test_actions_read_as_in_chat_with_names_and_references(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    page = await audit_page(dashboard, "sam")
    rows = cells(page, "audit-log")
    assert rows[0][1:3] == ["Sam (secretariat)", "signed in to the dashboard"]
    assert re.fullmatch(r"dashboard session #\d+", rows[0][3])
    assert ["Sam (secretariat)", "published a letter", REF] in [r[1:] for r in rows]
    assert ["Joseph Kollie", "signed a letter", REF] in [r[1:] for r in rows]
    assert rows[-1][1:3] == ["—", "filled the sandbox"]
    assert not [cell for row in rows for cell in row if RAW_KEY.search(cell)]
    assert f'<a href="/dashboard/letters/{REF}">{REF}</a>' in page


async def test_filters_by_action_subject_actor_and_days(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    signs = cells(await audit_page(dashboard, "sam", "?action=letter.sign"), "audit-log")
    assert [r[1:] for r in signs] == [
        ["Joseph Kollie", "signed a letter", REF],
        ["Lucía Hernández", "signed a letter", REF],
    ]
    about = cells(await audit_page(dashboard, "sam", f"?subject={REF.lower()}"), "audit-log")
    assert {r[3] for r in about} == {REF} and len(about) >= 5
    assert cells(await audit_page(dashboard, "sam", "?subject=letter+1"), "audit-log") == about
    assert "Nothing recorded matches." in await audit_page(dashboard, "sam", "?subject=nonsense")

    async with dashboard.app.sessions() as session:
        joseph = await person_id(session, "joseph")
    mine = cells(await audit_page(dashboard, "sam", f"?actor={joseph}"), "audit-log")
    assert {r[1] for r in mine} == {"Joseph Kollie"}

    today = datetime.now(ZoneInfo("America/New_York")).date()  # Sam's days are New York's
    everything = cells(await audit_page(dashboard, "sam", f"?since={today - timedelta(days=1)}"), "audit-log")
    assert len(everything) > 10
    assert "Nothing recorded matches." in await audit_page(
        dashboard, "sam", f"?since={today + timedelta(days=1)}"
    )
    assert "Nothing recorded matches." in await audit_page(
        dashboard, "sam", f"?until={today - timedelta(days=1)}"
    )


async def test_pages_keep_the_filters(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    async with dashboard.app.sessions() as session, session.begin():
        for n in range(60):
            await AuditRepository(session).record(None, "case.read", f"case:{n + 1}")
    first = await audit_page(dashboard, "sam", "?action=case.read")
    assert len(cells(first, "audit-log")) == 50
    assert "60 entries · page 1 of 2" in first
    assert 'rel="next" href="/dashboard/audit?action=case.read&amp;page=2"' in first
    second = await audit_page(dashboard, "sam", "?action=case.read&page=2")
    rows = cells(second, "audit-log")
    assert [r[3] for r in rows] == [f"case #{n}" for n in range(10, 0, -1)]
    assert 'rel="prev" href="/dashboard/audit?action=case.read"' in second


async def test_the_log_in_arabic(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    page = await audit_page(dashboard, "amina", "?action=letter.sign")
    assert 'dir="rtl"' in page
    assert {r[2] for r in cells(page, "audit-log")} == {"وقّع رسالة"}
