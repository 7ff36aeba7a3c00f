"""Debian's Chromium, driven headless by Playwright (no browser download), for the dashboard's tests.

Without Chromium the browser tests skip, except under ``CI=true`` where they fail: ``make test`` installs
Debian's ``chromium`` when it is missing, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "dashboard"


def chromium_path() -> str:
    """The Chromium to drive; fails (CI) or skips (elsewhere) when there is none."""
    found = (
        os.environ.get("SOS_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium not found under CI=true (make test installs Debian's chromium)", pytrace=False)
    pytest.skip("Chromium not found; `make test` installs Debian's chromium, or set SOS_TEST_CHROMIUM")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            await launched.close()


async def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot under test-output/dashboard/ (for people reviewing the pages)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
