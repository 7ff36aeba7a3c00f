"""In Chromium: a defender reports on Telegram; a secretariat member signs in with the link the bot sent on
Telegram, triages the case in the dashboard and replies; the reply reaches the defender's Telegram chat through
the outbox worker, and the case's timeline shows it. Screenshots of the inbox and the case page in en and ar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from playwright.async_api import Browser, expect

from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.app import App, build_app
from bot.config import SecretariatIdentity
from bot.runner import sandbox
from tests.adapters.test_contract import TelegramDriver
from tests.adapters.test_report_deletion import ANA, WHAT, up_to_summary
from tests.conftest import make_settings
from tests.dashboard.browser import browser, screenshot
from tests.dashboard.test_browser_login import link_from_telegram

__all__ = ["browser"]

ELENA = User(9001, "Elena", "en")
REPLY = "We have alerted a lawyer in your region. Are you safe tonight?"


@pytest.fixture
async def running(sqlite_url: str) -> AsyncIterator[tuple[App, TelegramEmulator]]:
    """The whole bot on the emulators (adapters, web server with the dashboard, outbox worker)."""
    app = build_app(
        make_settings(sqlite_url, http_port=0, secretariat=(SecretariatIdentity("telegram", "", "9001"),))
    )
    async with sandbox(app) as (telegram, _slack):
        yield app, telegram
    await app.close()


async def test_triage_a_case_and_reply_to_its_reporter(
    running: tuple[App, TelegramEmulator], browser: Browser
) -> None:
    _app, telegram = running
    ana = TelegramDriver(SimpleNamespace(emulator=telegram), ANA)  # type: ignore[arg-type]
    await up_to_summary(ana)
    [stored] = await ana.press("Send the report")
    found = re.search(r"SOS-\d{4}-\d{4}", stored)
    assert found, stored
    reference = found.group()

    link = await link_from_telegram(SimpleNamespace(emulator=telegram), ELENA, "/dashboard")  # type: ignore[arg-type]
    page = await browser.new_page(locale="en-US")
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Cases").click()
    await expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=reference)
    await expect(row).to_contain_text("needs triage")
    await expect(row).to_contain_text("Immediate danger")
    await expect(row).to_contain_text("Colombia")
    await screenshot(page, "cases-list-en")

    await page.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", name=reference)).to_be_visible()
    await expect(page.get_by_text(f"What happened: {WHAT}")).to_be_visible()
    await page.get_by_label("Status").select_option(label="in triage")
    await page.get_by_role("button", name="Change the status").click()
    await expect(page.get_by_role("status")).to_have_text(f"{reference} is now: in triage.")
    await expect(page.get_by_test_id("case-status")).to_have_text("in triage")

    await page.get_by_label("Write to the reporter").fill(REPLY)
    await page.get_by_role("button", name="Send to the reporter").click()
    await expect(page.get_by_role("status")).to_have_text(f"Sent to the reporter of {reference}.")
    await expect(page.get_by_test_id("timeline")).to_contain_text(f"to the reporter: {REPLY}")
    await expect(page.get_by_test_id("relay")).to_contain_text(REPLY)
    await screenshot(page, "cases-page-en")

    # The outbox worker delivers both to Ana's chat on Telegram: the new status and the message, with Answer.
    def ana_reads(text: str) -> bool:
        return any(text in (m.text or "") for m in telegram.messages_in(ANA.id))

    await telegram.wait_for(lambda: ana_reads(REPLY), timeout=10)
    await telegram.wait_for(lambda: ana_reads(f"Your report {reference} is now: in triage."), timeout=10)
    message = next(m for m in telegram.messages_in(ANA.id) if REPLY in (m.text or ""))
    assert (message.text or "").startswith(f"Message from the secretariat about {reference}:")
    assert "Elena" not in (message.text or "")  # the reporter is told by the case only
    assert [b["text"] for row in (message.reply_markup or {})["inline_keyboard"] for b in row] == ["Answer"]

    await page.get_by_role("button", name="العربية").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_test_id("case-status")).to_have_text("قيد الفرز")
    await screenshot(page, "cases-page-ar")
    await page.goto(page.url.rsplit("/", 1)[0])
    await expect(page.get_by_role("row").filter(has_text=reference)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    await screenshot(page, "cases-list-ar")
