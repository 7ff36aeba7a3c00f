"""The overview: counts at a glance and server-drawn charts (with their figures as tables), from what people did
in chat: reports, a triage answer, an appeal delivered, a letter signed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import App
from storage.models import Case, Delivery, utcnow
from tests.clock import YEAR
from tests.dashboard.site import Dashboard, dashboard_fixture, signed_in
from tests.dashboard.test_letters_web import signed_letter
from tests.handlers.test_appeals import draft, send
from tests.handlers.test_reports import full_report, send_button
from tests.support import chat

CASE = f"SOS-{YEAR}-0001"


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def activity(app: App) -> int:
    """Two reports (the first answered by Sam three hours after it came in), an appeal whose copies went out
    and a letter signed twice; returns how many appeal copies were delivered."""
    await signed_letter(app)
    for who in ("rafael", "karim"):
        reporter = await full_report(app, who)
        await reporter.press_button(send_button(reporter))  # type: ignore[attr-defined]
    async with app.sessions() as session, session.begin():
        await session.execute(
            update(Case).where(Case.reference == CASE).values(created_at=utcnow() - timedelta(hours=3))
        )
    sam = chat(app, "sam")
    assert await sam.say(f"/status {CASE} verified") == [f"{CASE} is now: verified."]
    await draft(app, sam)
    await send(sam)
    async with app.sessions() as session, session.begin():
        copies = (
            (await session.execute(select(Delivery).where(Delivery.subject == "appeal:1"))).scalars().all()
        )
        for row in copies:  # what the worker records once the platform took each copy
            row.status, row.sent_at, row.platform_message_id = "sent", utcnow(), f"m-{row.id}"
    return len(copies)


def figure(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', page)
    assert found, testid
    return found.group(1)


def table_after(page: str, title: str) -> list[list[str]]:
    """The figures table of the chart titled ``title``."""
    part = page.split(f"<figcaption>{title}</figcaption>", 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", part, re.S)
    ]


async def test_counts_and_charts_in_english(dashboard: Dashboard) -> None:
    copies = await activity(dashboard.app)
    assert copies > 0
    client = await signed_in(dashboard, "sam")
    async with client, client.get(f"{dashboard.base}/dashboard/") as answer:
        assert answer.status == 200
        page = await answer.text()
    assert [figure(page, key) for key in ("new-cases", "open-cases", "appeals", "letters")] == [
        "1",
        "2",
        "1",
        "1",
    ]
    assert figure(page, "median-answer") == "3 hours"
    assert "median time to a first answer (worst: 3 hours), last 30 days" in page
    assert "1 case still waits for one" in page

    weeks = table_after(page, "Cases reported per week, by threat type")
    assert weeks[0] == ["Week of", "Physical attack or threat", "All"]
    assert len(weeks) == 13 and weeks[-1][1:] == ["2", "2"]  # this week: both reports
    days = table_after(page, "Appeal copies delivered per day, last 30 days")
    assert len(days) == 31 and days[-1][1] == str(copies) and {d[1] for d in days[1:-1]} == {"0"}
    assert table_after(page, "Time from report to first answer, last 30 days (hours)")[1:] == [
        ["Median", "3 hours"],
        ["Worst", "3 hours"],
    ]
    letters = table_after(page, "Signatures over time, letters open for signature")
    assert [row[:2] for row in letters[1:]] == [[f"CL-{YEAR}-001", "2"]]

    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 4 and all('role="img"' in svg and "aria-label=" in svg for svg in svgs)
    assert "<script" not in page


async def test_the_overview_in_arabic(dashboard: Dashboard) -> None:
    await activity(dashboard.app)
    client = await signed_in(dashboard, "amina")
    async with client, client.get(f"{dashboard.base}/dashboard/") as answer:
        page = await answer.text()
    assert 'dir="rtl"' in page
    assert 'aria-label="الحالات المُبلَّغ عنها أسبوعيًا حسب نوع التهديد"' in page
    assert "اعتداء أو تهديد جسدي" in page  # the threat type's Arabic label in the legend and the table


async def test_an_empty_network_draws_empty_charts(dashboard: Dashboard) -> None:
    client = await signed_in(dashboard, "sam")
    async with client, client.get(f"{dashboard.base}/dashboard/") as answer:
        page = await answer.text()
    assert figure(page, "new-cases") == "0" and figure(page, "median-answer") == "—"
    assert len(re.findall(r"<svg ", page)) == 3  # no letter is open: no sign-on chart
