"""In Chromium, on the Telegram emulator with the outbox worker: Elena drafts an urgent appeal in the dashboard
and sends it under the two-person rule; Amina, told on Telegram, signs in (in Arabic) and approves it; the
worker delivers the copies to the member groups and the delivery page counts them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from playwright.async_api import Browser, Page, expect

from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.app import App, build_app
from bot.config import SecretariatIdentity
from bot.runner import sandbox
from tests.clock import YEAR
from tests.conftest import make_settings
from tests.dashboard.browser import browser, screenshot
from tests.dashboard.site import LINK

__all__ = ["browser"]

AMINA = User(9001, "Amina", "ar")
ELENA = User(9003, "Elena", "en")
SPANISH, ENGLISH = -100777, -100778
REF = f"UA-{YEAR}-001"


@pytest.fixture
async def network(sqlite_url: str) -> AsyncIterator[tuple[App, TelegramEmulator]]:
    """The whole bot (adapters, web server, outbox worker) on the emulators; Amina and Elena are secretariat."""
    app = build_app(
        make_settings(
            sqlite_url,
            http_port=0,
            secretariat=(
                SecretariatIdentity("telegram", "", "9001"),
                SecretariatIdentity("telegram", "", "9003"),
            ),
        )
    )
    async with sandbox(app) as (telegram, _slack):
        app.settings = replace(app.settings, dashboard_url=f"http://127.0.0.1:{app.settings.http_port}")
        app.dispatcher.settings = app.settings
        yield app, telegram
    await app.close()


async def says(telegram: TelegramEmulator, user: User, text: str, chat_id: int | None = None) -> str:
    """``user`` writes ``text`` (privately, or in a group); the bot's answer there."""
    where = chat_id if chat_id is not None else user.id
    before = len(telegram.messages_in(where))
    if chat_id is None:
        await telegram.user_says(user, text)
    else:
        await telegram.user_says(user, text, telegram.chats[chat_id])
    await telegram.wait_for(lambda: len(telegram.messages_in(where)) > before)
    return telegram.last_message(where).text


async def sign_in(browser: Browser, telegram: TelegramEmulator, user: User, locale: str) -> Page:
    """``user`` asks the bot for a link on Telegram and signs in with it."""
    found = LINK.search(await says(telegram, user, "/dashboard"))
    assert found
    page = await browser.new_page(locale=locale)
    await page.goto(found.group())
    await page.locator("form button[type=submit]").last.click()
    await expect(page.locator("main h1")).to_be_visible()
    return page


async def test_draft_send_approve_and_watch_the_copies_arrive(
    network: tuple[App, TelegramEmulator], browser: Browser
) -> None:
    app, telegram = network
    telegram.group(SPANISH, "Red DESC Américas")
    telegram.group(ENGLISH, "ESCR-Net Africa")
    await says(telegram, AMINA, "/start")  # her private chat, where the approval request will reach her
    await says(telegram, AMINA, "/channel member es americas", SPANISH)
    await says(telegram, AMINA, "/channel member en africa", ENGLISH)
    assert (
        await says(telegram, ELENA, "/settings two-person on")
        == "The two-person rule for urgent appeals is on."
    )

    # Elena drafts in English, then writes the Spanish text beside it.
    elena = await sign_in(browser, telegram, ELENA, "en-US")
    await elena.get_by_role("link", name="Appeals", exact=True).click()
    await expect(elena.get_by_role("heading", name="Urgent appeals")).to_be_visible()
    await elena.get_by_label("Language of this text").select_option("en")
    await elena.get_by_label("Title").fill("Defender detained in Guatemala City")
    await elena.get_by_label("What happened").fill("Ana López was detained after a community assembly.")
    await elena.get_by_label("What members should do").fill("Write to the Attorney General.")
    await elena.get_by_role("button", name="Save the draft").click()
    await expect(elena.get_by_role("heading", name=REF)).to_be_visible()
    spanish = elena.locator("#text-es")
    await spanish.get_by_label("Title").fill("Defensora detenida en Ciudad de Guatemala")
    await spanish.get_by_label("What happened").fill("Ana López fue detenida tras una asamblea comunitaria.")
    await spanish.get_by_label("What members should do").fill("Escriban al Fiscal General.")
    await spanish.get_by_role("button", name="Save the Spanish text").click()
    await expect(elena.locator('[data-language="es"] pre')).to_contain_text("🚨 Llamamiento urgente")
    await expect(elena.get_by_test_id("reach")).to_have_text("It reaches 2 chats.")
    await elena.get_by_role("button", name="Send", exact=True).click()
    await expect(elena.get_by_test_id("appeal-status")).to_have_text("awaiting approval")
    await expect(elena.get_by_text("Another secretariat member must approve what you wrote.")).to_be_visible()
    await expect(elena.get_by_role("button", name="Approve and send")).to_have_count(0)
    await screenshot(elena, "appeals-page-en")

    # Amina is asked on Telegram, signs in (the dashboard speaks Arabic to her) and approves.
    await telegram.wait_for(lambda: any(REF in m.text for m in telegram.messages_in(AMINA.id)))
    amina = await sign_in(browser, telegram, AMINA, "ar")
    await amina.goto(f"{app.settings.dashboard_url}/dashboard/appeals/{REF}")
    await expect(amina.locator("html")).to_have_attribute("dir", "rtl")
    await screenshot(amina, "appeals-page-ar")
    await amina.get_by_role("button", name="الموافقة والإرسال").click()
    await expect(amina).to_have_url(f"{app.settings.dashboard_url}/dashboard/appeals/{REF}/delivery")

    # The worker delivers to both groups; the delivery page counts the copies as they land.
    await telegram.wait_for(
        lambda: len(telegram.messages_in(SPANISH)) == 2 and len(telegram.messages_in(ENGLISH)) == 2
    )
    assert telegram.last_message(SPANISH).text.startswith(f"🚨 Llamamiento urgente {REF}\nDefensora detenida")
    assert telegram.last_message(ENGLISH).text.startswith(f"🚨 Urgent appeal {REF}\nDefender detained")
    for _ in range(100):  # the worker records the results after sending: reload until they are counted
        if await amina.get_by_test_id("sent").text_content() == "2":
            break
        await amina.reload()
    await expect(amina.get_by_test_id("sent")).to_have_text("2")
    await expect(amina.locator("meta[http-equiv=refresh]")).to_have_count(0)  # nothing left on its way
    await screenshot(amina, "appeals-delivery-ar")

    await elena.goto(f"{app.settings.dashboard_url}/dashboard/appeals/{REF}/delivery")
    await expect(elena.get_by_test_id("sent")).to_have_text("2")
    await expect(elena.locator('tr[data-platform="telegram"] td').first).to_have_text("2")
    await screenshot(elena, "appeals-delivery-en")
    await elena.get_by_role("link", name="Appeals", exact=True).click()
    await expect(elena.locator(f'tr[data-reference="{REF}"]')).to_contain_text("sent")
    await screenshot(elena, "appeals-list-en")
    await amina.goto(f"{app.settings.dashboard_url}/dashboard/appeals")
    await expect(amina.locator(f'tr[data-reference="{REF}"]')).to_contain_text("Defender detained")
    await screenshot(amina, "appeals-list-ar")
