"""The dashboard's organisations: the list, one organisation's members, verifying and confirming as in chat."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App
from storage.models import AuditEntry, Organisation, Person
from tests.dashboard.site import Dashboard, csrf_of, dashboard_fixture, signed_in
from tests.support import chat

ISOLATES = dict.fromkeys(map(ord, "\u2068\u2069\u200f"))


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def ines_joins(app: App) -> Person:
    """Ines names a new organisation in chat (the join dialog): it is registered, unverified."""
    ines = chat(app, "ines")
    await ines.say("/join")
    await ines.say("Colectivo Tierra")
    [thanks] = await ines.say("Guatemala")
    assert thanks.startswith("Thank you. You are now listed as a member of Colectivo Tierra.")
    async with app.sessions() as session:
        persons = (await session.execute(select(Person))).scalars().all()
    return next(p for p in persons if p.display_name == "Ines")


async def page(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as answer:
        assert answer.status == 200, answer.url
        return html.unescape(await answer.text()).translate(ISOLATES)


async def post(client: aiohttp.ClientSession, url: str, **data: str) -> str:
    """Post a form with the page's CSRF token; the page the browser lands on after the redirect."""
    token = csrf_of(await page(client, url.split("/dashboard/")[0] + "/dashboard/"))
    async with client.post(url, data={"csrf": token, **data}) as answer:
        assert answer.status == 200, await answer.text()
        assert len(answer.history) == 1 and answer.history[0].status == 303
        return html.unescape(await answer.text()).translate(ISOLATES)


async def test_the_list_shows_state_country_region_and_members(dashboard: Dashboard) -> None:
    await ines_joins(dashboard.app)
    base = f"{dashboard.base}/dashboard/organisations"
    async with await signed_in(dashboard, "sam") as sam:
        listing = await page(sam, base)
        assert "Colectivo Tierra" in listing and "Guatemala" in listing
        assert "Middle East and North Africa" in listing and "mena" not in listing
        assert "1 member (0 confirmed)" in listing and "1 member (1 confirmed)" in listing
        assert listing.count("not verified") == 2  # Shams Collective (the sandbox's) and Colectivo Tierra
        pending = await page(sam, f"{base}?state=pending")
        assert "Colectivo Tierra" in pending and "Shams Collective" in pending and "ProDESC" not in pending
        verified = await page(sam, f"{base}?state=verified")
        assert "ProDESC" in verified and "Colectivo Tierra" not in verified
    async with await signed_in(dashboard, "amina") as amina:
        arabic = await page(amina, base)
        # Country names are CLDR's in the reader's language, the typed ones too; regions are translated.
        assert "غواتيمالا" in arabic and "المكسيك" in arabic and "Guatemala" not in arabic
        assert "الأمريكتان" in arabic or "الأمريكيتان" in arabic


async def test_verifying_and_confirming_are_the_chat_operations(dashboard: Dashboard) -> None:
    ines = await ines_joins(dashboard.app)
    async with dashboard.app.sessions() as session:
        org_id = (
            await session.execute(select(Organisation.id).where(Organisation.name == "Colectivo Tierra"))
        ).scalar_one()
    base = f"{dashboard.base}/dashboard/organisations/{org_id}"
    async with await signed_in(dashboard, "sam") as sam:
        shown = await page(sam, base)
        assert "Ines" in shown and "not confirmed yet" in shown and "Verify this organisation" in shown
        assert "Guatemala" in shown and "English" in shown
        async with sam.post(f"{base}/verify", data={}) as refused:
            assert refused.status == 403  # no CSRF token: nothing changes
        verified = await post(sam, f"{base}/verify")
        assert "Colectivo Tierra is verified." in verified
        assert "Withdraw the verification" in verified
        confirmed = await post(sam, f"{base}/confirm", person=str(ines.id))
        assert f"1 member of Colectivo Tierra confirmed: #{ines.id} Ines." in confirmed
        assert "not confirmed yet" not in confirmed
        again = await post(sam, f"{base}/confirm", person="all")
        assert "Nobody is waiting for confirmation in Colectivo Tierra." in again
    [listing] = await chat(dashboard.app, "sam").say("/orgs guatemala")
    assert f"#{org_id} Colectivo Tierra (Guatemala) — verified, 1 member (1 confirmed)" in listing
    async with dashboard.app.sessions() as session:
        audit = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        sam_id = (
            (await session.execute(select(Person.id).where(Person.role == "secretariat"))).scalars().all()
        )
    entries = [(e.action, e.subject) for e in audit if e.action in ("org.verify", "member.confirm")]
    assert entries == [("org.verify", f"org:{org_id}"), ("member.confirm", f"person:{ines.id}")]
    assert all(e.actor_id in sam_id for e in audit if e.action in ("org.verify", "member.confirm"))


async def test_withdrawing_a_verification(dashboard: Dashboard) -> None:
    base = f"{dashboard.base}/dashboard/organisations/1"
    async with await signed_in(dashboard, "sam") as sam:
        withdrawn = await post(sam, f"{base}/unverify")
        assert (
            "ProDESC is no longer verified: it cannot sign letters until it is verified again." in withdrawn
        )
        assert "Verify this organisation" in withdrawn
        assert "ProDESC was not verified." in await post(sam, f"{base}/unverify")
    [listing] = await chat(dashboard.app, "sam").say("/orgs mexico")
    assert "ProDESC (Mexico) — not verified" in listing
    async with dashboard.app.sessions() as session:
        actions = (await session.execute(select(AuditEntry.action, AuditEntry.subject))).all()
    assert [tuple(a) for a in actions if a[0] == "org.unverify"] == [("org.unverify", "org:1")]
    [audit] = await chat(dashboard.app, "sam").say("/audit")
    assert "withdrew an organisation's verification (organisation #1)" in audit


async def test_unknown_organisations_and_members(dashboard: Dashboard) -> None:
    async with await signed_in(dashboard, "sam") as sam:
        async with sam.get(f"{dashboard.base}/dashboard/organisations/99") as missing:
            assert missing.status == 404
        base = f"{dashboard.base}/dashboard/organisations/1"
        lucia_elsewhere = await post(sam, f"{base}/confirm", person="4")  # Joseph, of Green Advocates
        assert "#4 has not named ProDESC." in lucia_elsewhere
        token = csrf_of(await page(sam, base))
        async with sam.post(f"{base}/confirm", data={"csrf": token, "person": "everyone"}) as bad:
            assert bad.status == 400
