"""In Chromium: a member names her organisation on Telegram; the secretariat verifies it, confirms her and
grants her a role on the dashboard; the audit log has the same rows as in chat; pages in English and Arabic."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from bot.adapters.emulators.telegram import User
from storage.models import AuditEntry, Person, Role
from tests.dashboard.browser import browser, screenshot
from tests.dashboard.test_browser_login import (
    ELENA,
    link_from_telegram,
    rig,  # the same Telegram rig fixture
)
from tests.rigs import TelegramRig

__all__ = ["browser", "rig"]

INES = User(9003, "Ines", "es")


async def says(rig: TelegramRig, user: User, text: str, chat: object = None) -> None:
    """``user`` types ``text`` and the bot answers."""
    target = chat or rig.emulator.private_chat(user)
    before = len(rig.emulator.messages_in(target.id))  # type: ignore[attr-defined]
    if chat is None:
        await rig.emulator.user_says(user, text)
    else:
        await rig.emulator.user_says(user, chat, text)  # type: ignore[arg-type]
    await rig.emulator.wait_for(lambda: len(rig.emulator.messages_in(target.id)) > before)  # type: ignore[attr-defined]


@pytest.fixture
async def signed_in_page(rig: TelegramRig, browser: Browser) -> AsyncIterator[Page]:
    link = await link_from_telegram(rig, ELENA, "/dashboard")
    page = await browser.new_page(locale="en-US")
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    yield page


async def test_verify_an_organisation_named_in_chat_and_grant_a_role(
    rig: TelegramRig, signed_in_page: Page
) -> None:
    page = signed_in_page
    await says(rig, INES, "/join")
    await says(rig, INES, "Colectivo Tierra")
    await says(rig, INES, "Guatemala")
    assert "Colectivo Tierra" in rig.emulator.last_message(INES.id).text
    group = rig.emulator.group(-100777, "Red Américas")
    await rig.emulator.bot_added(group, ELENA)
    await says(rig, ELENA, "/channel member es americas corporate-accountability", group)

    await page.get_by_role("link", name="Organisations").click()
    row = page.locator("tr", has_text="Colectivo Tierra")
    await expect(row).to_contain_text("not verified")
    await expect(row).to_contain_text("Guatemala")
    await screenshot(page, "organisations-list-en")
    await row.get_by_role("link", name="Colectivo Tierra").click()
    await page.get_by_role("button", name="Verify this organisation").click()
    await expect(page.get_by_role("status")).to_contain_text("Colectivo Tierra is verified.")
    await page.get_by_role("button", name="Confirm Ines").click()
    await expect(page.get_by_role("status")).to_contain_text("1 member of Colectivo Tierra confirmed")
    await screenshot(page, "organisations-page-en")

    await page.get_by_role("link", name="People").click()
    ines_row = page.locator("tr", has_text="Ines")
    await expect(ines_row).to_contain_text("Colectivo Tierra (confirmed)")
    await ines_row.get_by_label("Role for").select_option("secretariat")
    await ines_row.get_by_role("button", name="Grant").click()
    await expect(page.get_by_role("status")).to_contain_text("is now: secretariat (was: member).")
    await screenshot(page, "people-en")

    await page.get_by_role("link", name="Channels").click()
    await expect(page.locator("tr", has_text="Red Américas")).to_contain_text("Corporate Accountability")
    await screenshot(page, "channels-en")

    async with rig.app.sessions() as session:
        entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        persons = {p.display_name: p for p in (await session.execute(select(Person))).scalars()}
    elena, ines = persons["Elena"], persons["Ines"]
    assert ines.role == Role.SECRETARIAT and ines.membership_confirmed
    done = [
        (e.actor_id, e.action) for e in entries if e.action in ("org.verify", "member.confirm", "role.change")
    ]
    assert done == [(elena.id, "org.verify"), (elena.id, "member.confirm"), (elena.id, "role.change")]
    assert [e.actor_id for e in entries if e.action == "org.join"] == [ines.id]

    await page.get_by_role("button", name="العربية").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("tr", has_text="Red Américas")).to_contain_text("الأمريكتان")
    await screenshot(page, "channels-ar")
    await page.get_by_role("link", name="الأشخاص").click()
    await screenshot(page, "people-ar")
    await page.get_by_role("link", name="المنظمات").click()
    await expect(page.locator("tr", has_text="Colectivo Tierra")).to_contain_text("غواتيمالا")
    await screenshot(page, "organisations-list-ar")
    await page.locator("tr", has_text="Colectivo Tierra").get_by_role("link").first.click()
    await screenshot(page, "organisations-page-ar")
