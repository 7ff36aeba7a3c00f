"""The dashboard's case pages over HTTP: the inbox's order, filters, search and pages; a case's page in the
reader's language; status, assignment, notes, replies and drafts through the chat's own operations."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.codec import to_message
from storage.cases import CaseRepository
from storage.models import Appeal, AppealText, AuditEntry, Case, CaseEvent, Delivery, Letter, Person, utcnow
from tests.dashboard.site import Dashboard, csrf_of, dashboard_fixture, signed_in
from tests.handlers.test_reports import CONTACT, NAMES, WHAT
from tests.handlers.test_triage_privacy import reported
from tests.support import chat

REFERENCE = re.compile(r'href="/dashboard/cases/(SOS-[\d-]+)"')


@pytest.fixture
async def dashboard(any_app: App) -> AsyncIterator[Dashboard]:
    """The dashboard on SQLite and on PostgreSQL (the inbox's ordering and search are SQL)."""
    async for served in dashboard_fixture(any_app):
        yield served


async def person_id(app: App, name: str) -> int:
    async with app.sessions() as session:
        people = (await session.execute(select(Person))).scalars().all()
    return next(p.id for p in people if p.display_name == name)


async def make_cases(app: App, *rows: tuple[str, str, str, int]) -> list[str]:
    """Cases of (status, urgency, country, days ago); their references in the order given."""
    references = []
    async with app.sessions() as session, session.begin():
        for status, urgency, country, days in rows:
            case = await CaseRepository(session).create(
                status=status,
                threat_type="smear" if country == "CL" else "detention",
                country=country,
                urgency=urgency,
                created_at=utcnow() - timedelta(days=days),
            )
            references.append(case.reference)
    return references


async def page_of(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url) as answer:
        assert answer.status == 200, answer.url
        return html.unescape(await answer.text())


async def listed(client: aiohttp.ClientSession, dashboard: Dashboard, query: str = "") -> list[str]:
    return REFERENCE.findall(await page_of(client, f"{dashboard.base}/dashboard/cases{query}"))


async def test_the_inbox_puts_triage_first_then_urgency_then_age(dashboard: Dashboard) -> None:
    old_triage, urgent_new, urgent_active, days_active, old_active, closed = await make_cases(
        dashboard.app,
        ("triage", "ongoing", "PE", 9),
        ("new", "immediate", "CL", 1),
        ("active", "immediate", "PE", 2),
        ("active", "days", "CL", 5),
        ("new", "ongoing", "PE", 3),
        ("closed", "immediate", "PE", 4),
    )
    client = await signed_in(dashboard, "sam")
    async with client:
        assert await listed(client, dashboard) == [
            urgent_new,
            old_active,
            urgent_active,
            days_active,
            old_triage,
        ]
        page = await page_of(client, f"{dashboard.base}/dashboard/cases")
        assert "5 cases" in page and page.count("needs triage") == 2
        assert "Smear campaign or harassment" in page and "Immediate danger" in page and "Chile" in page
        for raw in (">smear<", ">immediate<", ">CL<", ">days<", ">detention<"):
            assert raw not in page
        arabic = await signed_in(dashboard, "amina")
        async with arabic:
            page = await page_of(arabic, f"{dashboard.base}/dashboard/cases")
        assert 'dir="rtl"' in page and "تشيلي" in page and "خطر داهم" in page
        assert await listed(client, dashboard, "?status=all") == [
            urgent_new, old_active, closed, urgent_active, days_active, old_triage,
        ]  # fmt: skip


async def test_filters_search_and_pages(dashboard: Dashboard) -> None:
    app = dashboard.app
    references = await make_cases(app, *(("active", ("immediate", "days")[n % 2], ("CL", "PE")[n % 2], 30 - n)
                                         for n in range(23)))  # fmt: skip
    sam = await person_id(app, "Sam (secretariat)")
    assert await chat(app, "sam").say(f"/assign {references[4]} {sam}") == [
        f"{references[4]} is assigned to #{sam} Sam (secretariat)."
    ]
    client = await signed_in(dashboard, "sam")
    async with client:
        first = await listed(client, dashboard)
        assert len(first) == 20
        page = await page_of(client, f"{dashboard.base}/dashboard/cases")
        assert "23 cases · page 1 of 2" in page and 'rel="next" href="/dashboard/cases?page=2"' in page
        assert len(await listed(client, dashboard, "?page=2")) == 3
        assert await listed(client, dashboard, "?urgency=days&country=PE") == references[1::2]
        assert await listed(client, dashboard, "?threat=smear") == references[0::2]
        assert await listed(client, dashboard, "?mine=1") == [references[4]]
        assert await listed(client, dashboard, f"?assignee={sam}") == [references[4]]
        assert len(await listed(client, dashboard, "?assignee=none")) == 20
        assert await listed(client, dashboard, "?status=closed") == []
        number = references[7].rsplit("-", 1)[1]
        assert await listed(client, dashboard, f"?q={number}") == [references[7]]
        async with client.get(f"{dashboard.base}/dashboard/cases?q={references[7].lower()}") as found:
            assert found.url.path == f"/dashboard/cases/{references[7]}"  # a whole reference opens its case
        filtered = await page_of(client, f"{dashboard.base}/dashboard/cases?urgency=immediate&page=1")
        assert 'href="/dashboard/cases?urgency=immediate&amp;page=2"' not in filtered  # 12 cases: one page
        assert "No case matches." in await page_of(client, f"{dashboard.base}/dashboard/cases?status=closed")


async def test_a_case_page_shows_the_case_in_the_readers_words_and_audits_the_read(
    dashboard: Dashboard,
) -> None:
    app = dashboard.app
    case = await reported(app, "karim")
    karim = chat(app, "karim")
    await karim.say("/mycases")
    await karim.press(1)
    await karim.say("They came back this morning.")
    client = await signed_in(dashboard, "sam")
    async with client:
        page = await page_of(client, f"{dashboard.base}/dashboard/cases/{case.reference}")
        async with client.get(f"{dashboard.base}/dashboard/cases/SOS-1999-9999") as missing:
            assert missing.status == 404
            assert "No case has the reference SOS-1999-9999." in await missing.text()
    assert WHAT in page and CONTACT in page
    assert f"At risk: Another person — {NAMES}" in page
    assert "Threat: Physical attack or threat" in page and "Urgency: Immediate danger" in page
    assert "Who may see it: The secretariat only" in page and "Reporter's language: Arabic" in page
    assert "report received" in page and "from the reporter: They came back this morning." in page
    assert "Karim" not in page and "karim" not in page  # the reporter is only the case
    arabic = await signed_in(dashboard, "amina")
    async with arabic:
        page = await page_of(arabic, f"{dashboard.base}/dashboard/cases/{case.reference}")
    assert 'dir="rtl"' in page and "اعتداء أو تهديد جسدي" in page and WHAT in page
    for raw in ("attack", "immediate", "person —", "from_reporter", "secretariat<"):
        assert raw not in page
    async with app.sessions() as session:
        reads = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "case.read")))
            .scalars()
            .all()
        )
    assert [r.subject for r in reads] == [f"case:{case.id}"] * 2


async def test_status_assignment_note_and_reply_go_through_the_chats_operations(dashboard: Dashboard) -> None:
    app = dashboard.app
    case = await reported(app, "rafael")
    await chat(app, "amina").say("/help")  # Amina has a private chat: being assigned reaches her there
    amina = await person_id(app, "Amina (secretariat)")
    client = await signed_in(dashboard, "sam")
    url = f"{dashboard.base}/dashboard/cases/{case.reference}"
    async with client:
        token = csrf_of(await page_of(client, url))
        async with client.post(f"{url}/status", data={"csrf": token, "status": "verified"}) as answer:
            assert answer.url.path == f"/dashboard/cases/{case.reference}"
            page = await answer.text()
        assert f"{case.reference} is now: verified." in page
        assert 'data-testid="case-status">verified<' in page
        async with client.post(f"{url}/assign", data={"csrf": token, "assignee": "me"}) as answer:
            assert f"{case.reference} is assigned to #" in await answer.text()
        async with client.post(f"{url}/assign", data={"csrf": token, "assignee": str(amina)}) as answer:
            assert f"is assigned to #{amina} Amina (secretariat)." in await answer.text()
        async with client.post(f"{url}/note", data={"csrf": token, "text": "Call the lawyer."}) as answer:
            page = await answer.text()
        assert (
            f"Note added to {case.reference}." in page and "note by #" in page and "Call the lawyer." in page
        )
        async with client.post(f"{url}/reply", data={"csrf": token, "text": "We are on it."}) as answer:
            page = await answer.text()
        assert f"Sent to the reporter of {case.reference}." in page
        assert "to the reporter: We are on it." in page
        async with client.post(f"{url}/reply", data={"csrf": token, "text": " "}) as answer:
            assert "Write something first." in await answer.text()
    async with app.sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and (stored.status, stored.assignee_id) == ("verified", amina)
        kinds = (await session.execute(select(CaseEvent.kind).order_by(CaseEvent.id))).scalars().all()
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
        rows = (
            await session.execute(select(Delivery).where(Delivery.subject.like(f"case:{case.id}:%")))
        ).scalars()
        sent = [(row.chat_id, to_message(row).text) for row in rows]
    assert kinds == ["created", "status", "assign", "assign", "note", "to_reporter"]
    assert {"case.status", "case.assign", "case.note", "case.reply"} <= set(actions)
    to_rafael = [text for chat_id, text in sent if chat_id == "dm-rafael"]
    assert any(text.startswith(f"Sua denúncia {case.reference} agora está: ") for text in to_rafael)
    assert any(case.reference in text and "We are on it." in text for text in to_rafael)
    assert any(
        chat_id == "dm-amina" and "SOS" in text and "Sam (secretariat)" in text for chat_id, text in sent
    )


async def test_forms_without_their_token_change_nothing(dashboard: Dashboard) -> None:
    case = await reported(dashboard.app, "rafael")
    client = await signed_in(dashboard, "sam")
    url = f"{dashboard.base}/dashboard/cases/{case.reference}"
    async with client:
        for action, data in (("status", {"status": "closed"}), ("assign", {"assignee": "me"}),
                             ("note", {"text": "x"}), ("reply", {"text": "x"}), ("draft", {"kind": "appeal"}),
                             ("link", {"reference": "UA-1"})):  # fmt: skip
            async with client.post(f"{url}/{action}", data={**data, "csrf": "forged"}) as answer:
                assert answer.status == 403, action
    async with dashboard.app.sessions() as session:
        kinds = (await session.execute(select(CaseEvent.kind))).scalars().all()
        assert kinds == ["created"]
        assert (await session.execute(select(Appeal))).first() is None


async def test_drafts_from_a_case_follow_the_reporters_consent(dashboard: Dashboard) -> None:
    app = dashboard.app
    private = await reported(app, "rafael")  # the secretariat only
    async with app.sessions() as session, session.begin():
        shared = await CaseRepository(session).create(
            threat_type="detention",
            country="PE",
            urgency="days",
            consent="network",
            what_happened="Arrested.",
        )
        shared_reference = shared.reference
    client = await signed_in(dashboard, "sam")
    async with client:
        url = f"{dashboard.base}/dashboard/cases/{private.reference}"
        page = await page_of(client, url)
        assert "nothing from the report is copied" in page
        async with client.post(f"{url}/draft", data={"csrf": csrf_of(page), "kind": "appeal"}) as answer:
            page = await answer.text()
        assert "The reporter did not allow sharing beyond the secretariat" in page
        appeal = re.search(r"(UA-[\d-]+) drafted for", page)
        assert appeal and f'href="/dashboard/appeals/{appeal.group(1)}"' in page
        shared_url = f"{dashboard.base}/dashboard/cases/{shared_reference}"
        async with client.post(
            f"{shared_url}/draft", data={"csrf": csrf_of(page), "kind": "letter"}
        ) as answer:
            assert "drafted from" in await answer.text()
        async with client.post(
            f"{shared_url}/link", data={"csrf": csrf_of(page), "reference": appeal.group(1)}
        ) as answer:
            assert f"{shared_reference} is linked to {appeal.group(1)}." in await answer.text()
    async with app.sessions() as session:
        texts = (await session.execute(select(AppealText))).scalars().all()
        letter = (await session.execute(select(Letter))).scalar_one()
        linked = (await session.execute(select(Appeal))).scalar_one()
        actions = (await session.execute(select(AuditEntry.action, AuditEntry.detail))).all()
    assert texts and all(WHAT not in t.what_happened for t in texts)
    assert letter.case_id != private.id and linked.case_id != private.id
    assert {"case.appeal", "case.letter", "case.link"} <= {action for action, _ in actions}
