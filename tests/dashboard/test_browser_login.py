"""In Chromium: a secretariat member signs in with the link the bot sent on Telegram, in English and Arabic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from playwright.async_api import Browser, expect

from bot.adapters.emulators.telegram import User
from bot.config import SecretariatIdentity
from tests.dashboard.browser import browser, screenshot
from tests.dashboard.site import LINK
from tests.rigs import TelegramRig, telegram_rig

__all__ = ["browser"]

ELENA = User(9001, "Elena", "en")


@pytest.fixture
async def rig(sqlite_url: str) -> AsyncIterator[TelegramRig]:
    """The bot on Telegram (webhook mode, so its web server runs) with Elena as secretariat."""
    rig = await telegram_rig(
        sqlite_url, "webhook", secretariat=(SecretariatIdentity("telegram", "", "9001"),)
    )
    assert rig.site is not None
    from bot.web import bound_port

    settings = replace(rig.app.settings, dashboard_url=f"http://127.0.0.1:{bound_port(rig.site)}")
    rig.app.settings = rig.app.dispatcher.settings = settings
    yield rig
    await rig.close()


async def link_from_telegram(rig: TelegramRig, user: User, text: str) -> str:
    before = len(rig.emulator.messages_in(user.id))
    await rig.emulator.user_says(user, text)
    await rig.emulator.wait_for(lambda: len(rig.emulator.messages_in(user.id)) > before)
    found = LINK.search(rig.emulator.last_message(user.id).text)
    assert found, rig.emulator.last_message(user.id).text
    return found.group()


async def test_sign_in_from_telegram_then_switch_to_arabic(rig: TelegramRig, browser: Browser) -> None:
    link = await link_from_telegram(rig, ELENA, "/dashboard")
    page = await browser.new_page(locale="en-US")
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("dir", "ltr")
    await screenshot(page, "overview-en")

    await page.get_by_role("button", name="العربية").click()
    await expect(page.get_by_role("heading", name="نظرة عامة")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await screenshot(page, "overview-ar")

    await page.reload()  # the choice is remembered
    await expect(page.locator("html")).to_have_attribute("lang", "ar")

    second = await browser.new_page()
    await second.goto(link)  # the link was used: refused
    await expect(second.locator(".error")).to_be_visible()


async def test_the_link_is_useless_to_a_member(rig: TelegramRig, browser: Browser) -> None:
    member = User(9002, "Joe", "en")
    await rig.emulator.user_says(member, "/dashboard")
    await rig.emulator.wait_for(lambda: len(rig.emulator.messages_in(member.id)) >= 1)
    assert "/dashboard/login/" not in rig.emulator.last_message(member.id).text
    page = await browser.new_page()
    await page.goto(f"{rig.app.settings.dashboard_url}/dashboard/cases")
    await expect(page.get_by_role("heading", name="Sign in to the dashboard")).to_be_visible()
