"""The dashboard's letters: the list, a letter's page (names only where the signer consented, countries in the
reader's language, countdown, live count) and the CSV and HTML downloads, made and audited as in chat."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from storage.models import AuditEntry, Identity
from tests.dashboard.site import Dashboard, dashboard_fixture, signed_in
from tests.handlers.test_letters import REF, SIGN, publish
from tests.support import chat


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


async def signed_letter(app: App) -> None:
    """CL-…-001 published through chat, signed by ProDESC (Lucía, name hidden) and Green Advocates (Joseph,
    name shown)."""
    await publish(app)
    lucia = chat(app, "lucia")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    joseph = chat(app, "joseph")
    await joseph.press_button(SIGN)
    await joseph.press("Sign and show my name")


async def person_id(session: AsyncSession, key: str) -> int:
    """The person behind sandbox person ``key``'s console account."""
    identity = (await session.execute(select(Identity).where(Identity.user_id == key))).scalar_one()
    return identity.person_id


def cells(page: str, table_class: str) -> list[list[str]]:
    """The body rows of the table with ``table_class``, as text."""
    body = page.split(f'class="{table_class}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_the_list_shows_each_letter_with_status_deadline_and_count(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    client = await signed_in(dashboard, "sam")
    async with client, client.get(f"{dashboard.base}/dashboard/letters") as answer:
        assert answer.status == 200
        page = await answer.text()
    [row] = cells(page, "letters-list")
    assert row[:3] == [REF, "Attorney General of Guatemala", "open for signature"]
    assert row[3] != "—" and row[4] == "2"


async def test_a_letter_page_names_signers_only_where_they_consented(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    client = await signed_in(dashboard, "sam")
    async with client, client.get(f"{dashboard.base}/dashboard/letters/{REF.lower()}") as answer:
        assert answer.status == 200
        page = await answer.text()
    rows = cells(page, "letters-signatories")
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("Green Advocates", "Liberia", "Joseph Kollie"),
        ("ProDESC", "Mexico", "(name not published)"),
    ]
    assert "Lucía" not in page
    assert re.search(r'data-testid="countdown">\(in \d+ years\)', page)
    assert 'data-testid="count">2 signatures<' in page
    assert '<meta http-equiv="refresh" content="30">' in page  # open for signature: the count stays live
    assert "We, member organisations of the network" in page and "Nosotras, organizaciones" in page
    assert f"/dashboard/letters/{REF}/export.csv?language=es" in page


async def test_countries_and_countdown_in_the_readers_language(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    client = await signed_in(dashboard, "amina")
    async with client, client.get(f"{dashboard.base}/dashboard/letters/{REF}") as answer:
        page = await answer.text()
    assert 'dir="rtl"' in page
    assert [r[1] for r in cells(page, "letters-signatories")] == ["ليبيريا", "المكسيك"]
    assert re.search(r'data-testid="countdown">\(خلال [^)]+\)', page)


async def test_the_csv_download_is_the_chats_export_and_is_audited(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    client = await signed_in(dashboard, "sam")
    async with client:
        async with client.get(f"{dashboard.base}/dashboard/letters/{REF}/export.csv?language=es") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
            assert answer.headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{REF}-es.csv"
            exported = (await answer.read()).decode()
        async with client.get(f"{dashboard.base}/dashboard/letters/{REF}/export.html?language=ar") as answer:
            document = await answer.text()
    table = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert table[0] == ["Organización", "País", "Firmante", "Fecha de firma (UTC)"]
    assert [row[:3] for row in table[1:]] == [
        ["Green Advocates", "Liberia", "Joseph Kollie"],
        ["ProDESC", "México", ""],
    ]
    assert '<html lang="ar" dir="rtl">' in document and "ProDESC (المكسيك)" in document
    async with dashboard.app.sessions() as session:
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "letter.export")))
            .scalars()
            .all()
        )
        sam = await person_id(session, "sam")
    assert [(e.actor_id, e.subject, e.detail) for e in entries] == [
        (sam, "letter:1", {"language": "es"}),
        (sam, "letter:1", {"language": "ar"}),
    ]


async def test_an_unknown_language_or_letter(dashboard: Dashboard) -> None:
    await signed_letter(dashboard.app)
    client = await signed_in(dashboard, "sam")
    async with client:
        async with client.get(f"{dashboard.base}/dashboard/letters/{REF}/export.csv?language=xx") as answer:
            assert answer.url.path == f"/dashboard/letters/{REF}"  # back to the letter, saying why
            page = await answer.text()
        async with client.get(f"{dashboard.base}/dashboard/letters/CL-1-999") as missing:
            assert missing.status == 404
    assert "I cannot export in xx. Choose one of:" in page
