"""The dashboard's appeal pages over HTTP: the list, drafting and translating, target and reach, send and
approve under the two-person rule (the chat's own operations), the delivery page, retrying failed copies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.codec import to_message
from storage.models import Appeal, AppealText, AuditEntry, Delivery
from tests.dashboard.site import Dashboard, csrf_of, dashboard_fixture, signed_in
from tests.handlers.test_appeals import REF, deliveries, draft, mark_delivered, setup_network
from tests.support import chat


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def page(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with client.get(url) as answer:
        return answer.status, await answer.text()


async def post(
    client: aiohttp.ClientSession, dashboard: Dashboard, path: str, **data: str
) -> tuple[str, str]:
    """Post a form of the page at ``path``'s appeal with the session's token; the page it leads to."""
    _, html = await page(client, f"{dashboard.base}/dashboard/appeals")
    async with client.post(f"{dashboard.base}{path}", data={"csrf": csrf_of(html), **data}) as answer:
        return answer.url.path, await answer.text()


async def actions(app: App) -> list[str]:
    async with app.sessions() as session:
        return list((await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


async def appeal(app: App) -> Appeal:
    async with app.sessions() as session:
        return (await session.execute(select(Appeal))).scalar_one()


async def test_the_list_shows_title_status_languages_and_copies(dashboard: Dashboard) -> None:
    app = dashboard.app
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await sam.say(f"/appeal translate {REF} ar")
    for text in ("اعتقال مدافعة في غواتيمالا", "اعتُقلت آنا لوبيز.", "اكتبوا إلى النائب العام."):
        await sam.say(text)
    async with await signed_in(dashboard, "sam") as client:
        status, html = await page(client, f"{dashboard.base}/dashboard/appeals")
    assert status == 200
    assert REF in html and "Defender detained in Guatemala City" in html and ">draft<" in html
    assert (
        '<span class="badge" title="Arabic">ar</span> <span class="badge" title="English">en</span>' in html
    )
    async with await signed_in(dashboard, "amina") as client:  # Amina reads Arabic: the Arabic title
        _, html = await page(client, f"{dashboard.base}/dashboard/appeals")
    assert "اعتقال مدافعة في غواتيمالا" in html and "مسودة" in html and "Defender detained" not in html


async def test_a_new_appeal_from_the_dashboard_is_the_chats_draft(dashboard: Dashboard) -> None:
    app = dashboard.app
    async with await signed_in(dashboard, "sam") as client:
        async with client.post(f"{dashboard.base}/dashboard/appeals", data={"language": "en"}) as refused:
            assert refused.status == 403
        where, html = await post(
            client,
            dashboard,
            "/dashboard/appeals",
            language="es",
            title="Defensora detenida",
            what="Ana López fue detenida.",
            todo="Escriban al Fiscal General.",
        )
    assert where == f"/dashboard/appeals/{REF}"
    assert f"{REF} saved (Spanish). Next: APPEAL translate, target, preview, then send." in html
    assert "🚨 Llamamiento urgente" in html  # the Spanish readers' preview, rendered as the chat renders it
    async with app.sessions() as session:
        text = (await session.execute(select(AppealText))).scalar_one()
    assert (text.language, text.title) == ("es", "Defensora detenida")
    assert (await appeal(app)).status == "draft"
    assert "appeal.new" in await actions(app)
    # The chat sees the same appeal.
    [listed] = await chat(app, "sam").say("/appeal list")
    assert f"{REF} — Defensora detenida (draft)" in listed


async def test_translating_side_by_side_and_the_preview_per_language(dashboard: Dashboard) -> None:
    app = dashboard.app
    await setup_network(app)
    await draft(app, chat(app, "sam"))
    async with await signed_in(dashboard, "sam") as client:
        status, html = await page(client, f"{dashboard.base}/dashboard/appeals/{REF}")
        assert status == 200
        for code in ("en", "es", "fr", "ar", "pt"):
            assert f'id="text-{code}"' in html
        assert "It reaches 4 chats." in html and "4 targets will not read it in their language." not in html
        assert "3 targets will not read it in their language." in html  # es, fr and ar read English
        assert html.count("fallback</span>") == 3
        where, html = await post(
            client,
            dashboard,
            f"/dashboard/appeals/{REF}/text",
            language="fr",
            title="Défenseure détenue",
            what="Ana López a été détenue.",
            todo="Écrivez au procureur.",
        )
        assert where == f"/dashboard/appeals/{REF}"
        assert f"{REF} saved (French)." in html
        assert "🚨 Appel urgent" in html and "Défenseure détenue" in html
        assert html.count("fallback</span>") == 2
        _, html = await post(
            client, dashboard, f"/dashboard/appeals/{REF}/text", language="pt", title="Só um título"
        )
        assert "The text in Portuguese needs a title, what happened and what to do." in html
        _, html = await post(
            client, dashboard, f"/dashboard/appeals/{REF}/text", language="fr", title="x" * 201
        )
        assert "Please keep it under 200 characters (this has 201)." in html
    async with app.sessions() as session:
        languages = sorted((await session.execute(select(AppealText.language))).scalars())
    assert languages == ["en", "fr"]
    assert (await actions(app)).count("appeal.translate") == 1


async def test_the_target_and_the_count_it_reaches(dashboard: Dashboard) -> None:
    app = dashboard.app
    await setup_network(app)
    await draft(app, chat(app, "sam"))
    async with await signed_in(dashboard, "sam") as client:
        _, html = await post(client, dashboard, f"/dashboard/appeals/{REF}/target", target="region:africa")
        assert "It reaches 3 chats." in html
        assert '<option value="region:africa" selected>Africa</option>' in html
        _, html = await post(client, dashboard, f"/dashboard/appeals/{REF}/target", target="nowhere")
        assert "Unknown target." in html
    assert (await appeal(app)).target == {"kind": "region", "value": "africa"}
    assert "appeal.target" in await actions(app)


async def test_send_and_approve_under_the_two_person_rule(dashboard: Dashboard) -> None:
    app = dashboard.app
    await setup_network(app)
    sam = chat(app, "sam")
    await sam.say("/settings two-person on")
    await draft(app, sam)
    async with await signed_in(dashboard, "sam") as client:
        await post(client, dashboard, f"/dashboard/appeals/{REF}/target", target="language:en")
        _, html = await post(client, dashboard, f"/dashboard/appeals/{REF}/send")
        assert f"{REF} waits for a second secretariat member" in html
        assert "Another secretariat member must approve what you wrote." in html
        assert "Approve and send</button>" not in html
        _, html = await post(client, dashboard, f"/dashboard/appeals/{REF}/approve")  # the author cannot
        assert "Another secretariat member must approve what you wrote." in html
    assert (await appeal(app)).status == "awaiting" and await deliveries(app) == []
    async with await signed_in(dashboard, "amina") as client:
        _, html = await page(client, f"{dashboard.base}/dashboard/appeals/{REF}")
        assert "الموافقة والإرسال</button>" in html
        where, html = await post(client, dashboard, f"/dashboard/appeals/{REF}/approve")
    assert where == f"/dashboard/appeals/{REF}/delivery"
    found = await appeal(app)
    assert found.status == "sent" and found.approved_by is not None
    assert [row.platform for row in await deliveries(app)] == ["console"]  # Joseph's copy, in English
    async with app.sessions() as session:
        platforms = set((await session.execute(select(Delivery.platform))).scalars())
    assert "web" not in platforms  # nothing queued to the browser: its live status is the delivery page
    assert {"appeal.submit", "appeal.approve", "appeal.send"} <= set(await actions(app))


async def test_the_delivery_page_counts_names_failures_and_retries(dashboard: Dashboard) -> None:
    app = dashboard.app
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await sam.say(f"/appeal send {REF}")
    await sam.press("Send anyway")
    async with await signed_in(dashboard, "sam") as client:
        _, html = await page(client, f"{dashboard.base}/dashboard/appeals/{REF}/delivery")
        assert '<meta http-equiv="refresh" content="5">' in html  # copies are on their way
        assert '<div class="figure" data-testid="pending">4</div>' in html
        await mark_delivered(app)
        async with app.sessions() as session, session.begin():
            rows = (await session.execute(select(Delivery).where(Delivery.subject == "appeal:1"))).scalars()
            by_chat = {row.chat_id: row for row in rows}
            for row in by_chat.values():
                if row.language in ("es", "ar"):
                    row.status, row.last_error = "failed", "blocked: Forbidden: bot was blocked by the user"
        karim_chat = next(chat for chat, row in by_chat.items() if row.language == "ar")
        copy = to_message(next(row for row in by_chat.values() if row.language == "en"))
        assert await chat(app, "joseph").press_button(copy.buttons[0][0]) == [
            "Thank you! The secretariat sees that you acted."
        ]
        _, html = await page(client, f"{dashboard.base}/dashboard/appeals/{REF}/delivery")
        assert 'http-equiv="refresh"' not in html
        assert '<div class="figure" data-testid="sent">2</div>' in html
        assert '<div class="figure" data-testid="failed">2</div>' in html
        assert "the bot was blocked or removed: 2 copies" in html
        assert "Karim Haddad" in html and "Group g-americas" in html  # names, not platform ids
        assert karim_chat not in html and "blocked:" not in html and "Forbidden" not in html
        assert '<div class="figure" data-testid="acted">1</div>' in html
        assert (
            '<tr data-language="es"><th scope="row">Spanish</th><td>0</td><td>0</td><td>1</td></tr>' in html
        )
        where, html = await post(client, dashboard, f"/dashboard/appeals/{REF}/retry")
        assert where == f"/dashboard/appeals/{REF}/delivery"
        assert f"2 failed copies of {REF} go again." in html
        assert '<div class="figure" data-testid="pending">2</div>' in html
    statuses = sorted(row.status for row in await deliveries(app))
    assert statuses == ["pending", "pending", "sent", "sent"]
    assert "appeal.retry" in await actions(app)


@pytest.mark.parametrize("action", ["text", "target", "send", "approve", "retry"])
async def test_every_form_needs_its_token(dashboard: Dashboard, action: str) -> None:
    app = dashboard.app
    await draft(app, chat(app, "sam"))
    async with (
        await signed_in(dashboard, "amina") as client,
        client.post(f"{dashboard.base}/dashboard/appeals/{REF}/{action}", data={"language": "en"}) as answer,
    ):
        assert answer.status == 403
    assert (await appeal(app)).status == "draft"


async def test_an_unknown_reference_is_not_found(dashboard: Dashboard) -> None:
    async with await signed_in(dashboard, "sam") as client:
        status, html = await page(client, f"{dashboard.base}/dashboard/appeals/UA-1999-999")
    assert status == 404 and "No appeal has the reference UA-1999-999." in html


async def test_a_sent_appeals_text_change_waits_for_the_second_member(dashboard: Dashboard) -> None:
    app = dashboard.app
    await setup_network(app)
    sam = chat(app, "sam")
    await draft(app, sam)
    await sam.say(f"/appeal target {REF} language:en")
    await sam.say(f"/appeal send {REF}")
    await mark_delivered(app)
    await sam.say("/settings two-person on")
    async with await signed_in(dashboard, "sam") as client:
        _, html = await post(
            client,
            dashboard,
            f"/dashboard/appeals/{REF}/text",
            language="en",
            title="Defender released on bail",
        )
        assert f"The change to {REF} waits for a second secretariat member" in html
        assert "The change waiting for approval" in html and "UPDATED" in html
    assert [row.status for row in await deliveries(app) if row.operation == "edit"] == ["held"]
    async with await signed_in(dashboard, "amina") as client:
        await post(client, dashboard, f"/dashboard/appeals/{REF}/approve")
    assert [row.status for row in await deliveries(app) if row.operation == "edit"] == ["pending"]
    assert (await appeal(app)).status == "updated"
    assert {"appeal.update", "appeal.submit", "appeal.approve"} <= set(await actions(app))
