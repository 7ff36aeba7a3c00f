"""Coalesced edits of a subject delivered to many chats: a change within an open window rewrites only the
window's text (one row per language), never one row per copy; the window's first change writes one edit per copy,
and a copy queued later in the window gets its edit with the next change. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.core.codec import encode
from bot.core.events import ChatKind
from storage.appeals import queue_copies
from storage.deliveries import delivered_copies, delivered_copy
from storage.edits import EDIT, TEXT, edit_payload, queue_coalesced_edits
from storage.models import Delivery, utcnow
from storage.outbox import Target

SUBJECT = "letter:9"
WINDOW = 1_000_123


async def copies(app: App, start: int, count: int) -> None:
    """Copies of the subject delivered to ``count`` groups, in Spanish and Arabic by turns."""
    items = [
        (
            Target("telegram", f"-100{n}", "es" if n % 2 else "ar", kind=ChatKind.GROUP),
            encode("✍️ 0", kind=ChatKind.GROUP),
        )
        for n in range(start, start + count)
    ]
    async with app.sessions() as session, session.begin():
        await queue_copies(session, SUBJECT, items, priority=5, revision=1, status="sent")


async def count_changes(app: App, signed: int, window: int = WINDOW) -> int:
    payloads = {language: encode(f"✍️ {signed} ({language})") for language in ("es", "ar")}
    async with app.sessions() as session, session.begin():
        return await queue_coalesced_edits(
            session, SUBJECT, payloads, revision=window, release=utcnow() + timedelta(seconds=10), priority=5
        )


async def rows(app: App, operation: str) -> list[tuple[Delivery, str]]:
    """The subject's rows of ``operation`` with the text each delivers."""
    async with app.sessions() as session:
        found = (
            await session.execute(
                select(Delivery).where(Delivery.subject == SUBJECT, Delivery.operation == operation)
            )
        ).scalars()
        return [(row, json.loads(await edit_payload(session, row))["text"]) for row in found]


async def test_a_change_within_an_open_window_rewrites_the_texts_not_the_copies(any_app: App) -> None:
    await copies(any_app, 0, 300)
    assert await count_changes(any_app, 1) == 300  # the window opens: one edit per copy
    before = {row.id: (row.seal, row.chat_id, row.payload) for row, _ in await rows(any_app, EDIT)}

    assert await count_changes(any_app, 2) == 0  # within it: no edit row written
    edits = await rows(any_app, EDIT)
    assert {row.id: (row.seal, row.chat_id, row.payload) for row, _ in edits} == before
    assert sorted({text for _, text in edits}) == ["✍️ 2 (ar)", "✍️ 2 (es)"]  # each delivers the newest
    assert all(text.endswith(f"({row.language})") for row, text in edits)
    texts = await rows(any_app, TEXT)
    assert sorted(text for _, text in texts) == ["✍️ 2 (ar)", "✍️ 2 (es)"]  # one kept text per language
    assert {row.status for row, _ in texts} == {"kept"}  # never claimed, never sent


async def test_a_copy_queued_in_an_open_window_gets_its_edit_with_the_next_change(any_app: App) -> None:
    await copies(any_app, 0, 20)
    await count_changes(any_app, 1)
    await copies(any_app, 20, 3)
    assert await count_changes(any_app, 2) == 3
    edits = await rows(any_app, EDIT)
    assert len(edits) == 23 and {row.chat_id for row, _ in edits} == {f"-100{n}" for n in range(23)}
    assert {text for _, text in edits} == {"✍️ 2 (ar)", "✍️ 2 (es)"}


async def test_one_query_finds_the_copy_each_edit_applies_to(any_app: App) -> None:
    await copies(any_app, 0, 5)
    await count_changes(any_app, 1)
    edits = [row for row, _ in await rows(any_app, EDIT)]
    async with any_app.sessions() as session:
        found = await delivered_copies(session, edits)
        one_by_one = {edit.id: await delivered_copy(session, edit) for edit in edits}
    assert len(found) == 5
    assert {edit_id: copy.id for edit_id, copy in found.items()} == {
        edit_id: copy.id for edit_id, copy in one_by_one.items() if copy is not None
    }
    assert all(
        found[edit.id].chat_id == edit.chat_id and found[edit.id].operation == "send" for edit in edits
    )


async def test_a_new_window_replaces_the_edits_an_earlier_window_still_has_waiting(any_app: App) -> None:
    # The worker gives way to people during a burst: windows may open while the last one's edits still wait.
    await copies(any_app, 0, 10)
    await count_changes(any_app, 1)
    async with any_app.sessions() as session, session.begin():  # one copy's edit of that window went out
        first = (
            await session.execute(select(Delivery).where(Delivery.operation == EDIT).limit(1))
        ).scalar_one()
        first.status = "sent"
    assert await count_changes(any_app, 7, window=WINDOW + 1) == 10
    edits = await rows(any_app, EDIT)
    waiting = sorted((row.revision, text) for row, text in edits if row.status == "pending")
    assert [revision for revision, _ in waiting] == [WINDOW + 1] * 10  # one per copy: the newest window's
    assert {text for _, text in waiting} == {"✍️ 7 (ar)", "✍️ 7 (es)"}
    assert [(row.revision, row.status) for row, _ in edits if row.status != "pending"] == [(WINDOW, "sent")]
