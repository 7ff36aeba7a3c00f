"""In Chromium: a secretariat member opens a letter organisations signed in chat, downloads its CSV export and
reads its rows, then the overview and the audit log, in English and in Arabic (right to left)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from bot.app import App
from tests.dashboard.browser import browser, screenshot
from tests.dashboard.site import Dashboard, dashboard_fixture
from tests.dashboard.test_overview_web import activity
from tests.handlers.test_letters import REF

__all__ = ["browser"]


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def test_letter_export_overview_and_audit_in_english_and_arabic(
    dashboard: Dashboard, browser: Browser
) -> None:
    await activity(dashboard.app)  # reports, an answer, an appeal out, a letter signed by two organisations
    link = await dashboard.link_for("sam")
    page = await browser.new_page(locale="en-US", accept_downloads=True)
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()

    await page.get_by_role("navigation").get_by_role("link", name="Letters").click()
    await expect(page.get_by_role("heading", name="Letters")).to_be_visible()
    await page.get_by_role("link", name=REF).click()
    await expect(page.get_by_role("heading", name=f"Collective letter {REF}")).to_be_visible()
    await expect(page.get_by_test_id("count")).to_have_text("2 signatures")
    await expect(page.locator(".letters-signatories tbody tr")).to_have_count(2)
    await screenshot(page, "letters-page-en")

    async with page.expect_download() as started:
        await page.locator('li[lang="en"]').get_by_role("link", name="signatories (CSV)").click()
    download = await started.value
    assert download.suggested_filename == f"{REF}-en.csv"
    saved = await download.path()
    exported = await asyncio.to_thread(Path(saved).read_text, "utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["Organisation", "Country", "Signer", "Signed on (UTC)"]
    assert [row[:3] for row in rows[1:]] == [
        ["Green Advocates", "Liberia", "Joseph Kollie"],
        ["ProDESC", "Mexico", ""],
    ]

    await page.get_by_role("navigation").get_by_role("link", name="Overview").click()
    await expect(page.get_by_test_id("letters")).to_have_text("1")
    await expect(
        page.get_by_role("img", name="Signatures over time, letters open for signature")
    ).to_be_visible()
    await screenshot(page, "overview-charts-en")

    await page.get_by_role("navigation").get_by_role("link", name="Audit log").click()
    await expect(page.get_by_role("cell", name="exported a letter")).to_be_visible()  # the download, audited
    await page.get_by_label("What").select_option(label="signed a letter")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator(".audit-log tbody tr")).to_have_count(2)
    await screenshot(page, "audit-en")

    await page.get_by_role("button", name="العربية").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_role("heading", name="سجل التدقيق")).to_be_visible()
    await expect(page.get_by_role("cell", name="وقّع رسالة")).to_have_count(2)
    await screenshot(page, "audit-ar")
    await page.goto(f"{dashboard.base}/dashboard/letters/{REF}")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_role("cell", name="المكسيك")).to_be_visible()
    await screenshot(page, "letters-page-ar")
    await page.goto(f"{dashboard.base}/dashboard/")
    await expect(page.get_by_role("img", name="الحالات المُبلَّغ عنها أسبوعيًا حسب نوع التهديد")).to_be_visible()
    await screenshot(page, "overview-charts-ar")
    await page.goto(f"{dashboard.base}/dashboard/letters")
    await screenshot(page, "letters-list-ar")
