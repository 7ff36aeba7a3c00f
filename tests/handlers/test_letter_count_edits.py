"""A letter's live count edits every delivered copy in one statement: a sign-on does as many statements with
50 copies as with 500, a sign-on within a window already open writes nothing to the outbox, the count shown is
the one committed when the window ends (two sign-ons at once both counted), and each copy's edit keeps its
reader's direction and its chat's kind, at routine priority."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import delete, event, select

from bot.app import App
from bot.core.codec import encode, to_edit
from bot.core.delivery import DeliveryError
from bot.core.events import ActionEvent, ChatKind
from bot.core.outbox import OutboxWorker
from bot.runner import build_worker
from handlers.letter_common import COUNT_WINDOW
from storage.appeals import queue_copies
from storage.models import Delivery, Letter, Signature, utcnow
from storage.outbox import ROUTINE, Target
from tests.handlers.test_letters import publish
from tests.support import chat, delivered_texts

SUBJECT = "letter:1"


@contextmanager
def statements(app: App) -> Iterator[list[str]]:
    """Every SQL statement the store runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))  # (connection, cursor, statement, parameters, context, executemany)

    engine = app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def more_copies(app: App, start: int, count: int) -> None:
    """Copies of the letter already delivered to ``count`` more groups (as the worker leaves them)."""
    items = [
        (
            Target("telegram", f"-100{start + i}", "es", kind=ChatKind.GROUP),
            encode("copy", kind=ChatKind.GROUP),
        )
        for i in range(count)
    ]
    async with app.sessions() as session, session.begin():
        await queue_copies(session, SUBJECT, items, priority=5, revision=1, status="sent")


async def sign_for_organisation(app: App, who: str, *, counted: bool = True) -> int:
    """``who`` confirms signing for their organisation; returns the statements the sign-on ran.

    Args:
        counted: False for sign-ons at once: a listener added or removed while another sign-on's statement
            runs its listeners would change SQLAlchemy's list under it.
    """
    person = chat(app, who)
    press = ActionEvent(f"sign-{who}", person.actor, person.chat, action="sign-ok", payload="1:org")
    with statements(app) if counted else nullcontext([]) as seen:
        outcome = await app.dispatcher.handle(press)  # type: ignore[arg-type]
    texts = [item.text for item in outcome.outgoing]  # type: ignore[union-attr]
    assert any(text.startswith(("Signed.", "Firmado.")) for text in texts), texts
    return len(seen)


def writes_to_the_outbox(seen: list[str]) -> list[str]:
    """The statements among ``seen`` that write delivery rows."""
    return [
        s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "deliveries" in s
    ]


def at_a_window_start() -> time_machine.travel:
    """The clock moved to the start of the next count window (and running): a test's sign-ons share it."""
    seconds = COUNT_WINDOW.total_seconds()
    now = utcnow()
    start = (now.timestamp() // seconds + 1) * seconds
    return time_machine.travel(now + timedelta(seconds=start - now.timestamp() + 0.01), tick=True)


async def pending_edits(app: App) -> list[Delivery]:
    async with app.sessions() as session:
        query = select(Delivery).where(Delivery.subject == SUBJECT, Delivery.operation == "edit")
        return list((await session.execute(query)).scalars().all())


async def test_a_sign_on_does_as_many_statements_for_500_copies_as_for_50(any_app: App) -> None:
    await publish(any_app)  # four copies, delivered
    await more_copies(any_app, 0, 46)
    with at_a_window_start():  # each sign-on opens a count window: the statements that write every edit
        with_50 = await sign_for_organisation(any_app, "lucia")
        assert len(await pending_edits(any_app)) == 50  # one count edit per copy

        await more_copies(any_app, 46, 450)
        with at_a_window_start():  # the next window
            with_500 = await sign_for_organisation(any_app, "joseph")
    edits = await pending_edits(any_app)
    assert len(edits) >= 500  # every copy, whether this sign-on wrote its edit or rewrote one waiting
    assert with_500 == with_50
    window = max(row.revision for row in edits)
    spanish = [row for row in edits if row.revision == window and row.language == "es"]
    assert len(spanish) == 497  # the Spanish group of the network and the 496 groups added here
    texts = set(await delivered_texts(any_app, spanish))  # rendered once for the window, when it leaves
    assert len(texts) == 1 and texts.pop().endswith("2 organizaciones han firmado.")


async def test_each_copy_is_edited_in_its_language_direction_and_chat_kind(database_url: str) -> None:
    from bot.app import build_app
    from tests.conftest import make_settings

    app = build_app(make_settings(database_url))
    try:
        await publish(app)  # Karim reads Arabic in his private chat; the Spanish group reads left to right
        await sign_for_organisation(app, "lucia")
        async with app.sessions() as session:
            rows = (
                (await session.execute(select(Delivery).where(Delivery.subject == SUBJECT))).scalars().all()
            )
            copies = {row.chat_id: row for row in rows if row.operation == "send"}
            edits = {row.chat_id: row for row in rows if row.operation == "edit"}
        worker = build_worker(app, [])
        window = {row.chat_id: await worker.edit_text(row) for row in edits.values()}
        assert edits.keys() == copies.keys()
        # Routine: while people's presses queue, the counts wait (the next window's count replaces them).
        assert {row.priority for row in edits.values()} == {ROUTINE}
        arabic = next(row for row in edits.values() if row.language == "ar")
        edit = to_edit(arabic, copies[arabic.chat_id], window[arabic.chat_id])
        assert edit.rtl and edit.chat.kind is ChatKind.PRIVATE
        assert edit.text.endswith("وقّعت منظمة واحدة.")
        spanish = to_edit(edits["g-americas"], copies["g-americas"], window["g-americas"])
        assert not spanish.rtl and spanish.chat.kind is ChatKind.GROUP
        assert spanish.text.endswith("1 organización ha firmado.")
    finally:
        await app.close()


async def test_a_sign_on_within_an_open_window_writes_nothing_to_the_outbox(any_app: App) -> None:
    await publish(any_app)
    with at_a_window_start():
        with statements(any_app) as first:
            await sign_for_organisation(any_app, "lucia")
        with statements(any_app) as second:
            await sign_for_organisation(any_app, "joseph")
    assert len(writes_to_the_outbox(first)) >= 2  # the window opens: its texts and one edit per copy
    assert writes_to_the_outbox(second) == []  # no hot rows: the edits render the count when they leave
    assert not [s for s in second if "count(" in s.lower()]  # nor are the copies counted again
    edits = await pending_edits(any_app)
    assert len(edits) == 4 and len({row.revision for row in edits}) == 1
    texts = dict(zip([row.language for row in edits], await delivered_texts(any_app, edits), strict=True))
    assert texts["es"].endswith("2 organizaciones han firmado.")
    assert texts["ar"].endswith("وقّعت منظمتان.")  # Arabic's dual: two organisations


async def test_two_sign_ons_at_once_are_both_counted(any_app: App) -> None:
    await publish(any_app)
    with at_a_window_start():  # both in one window: each transaction sees only its own signature
        await asyncio.gather(
            sign_for_organisation(any_app, "lucia", counted=False),
            sign_for_organisation(any_app, "joseph", counted=False),
        )
    edits = await pending_edits(any_app)
    english = next(row for row in edits if row.language == "en")
    assert (await delivered_texts(any_app, [english]))[0].endswith("2 organisations have signed.")


async def test_a_live_count_never_leaves_without_its_text(app: App) -> None:
    await publish(app)
    await sign_for_organisation(app, "lucia")
    edits = await pending_edits(app)
    bare = OutboxWorker(app.sessions, {})  # built without the features' live texts
    with pytest.raises(DeliveryError, match="no live text"):
        await bare.edit_text(
            edits[0]
        )  # set aside as rejected, saying why, rather than sending the copy again
    async with app.sessions() as session, session.begin():
        await session.execute(delete(Signature))
        await session.execute(delete(Letter))  # the letter is gone (its data erased)
    with pytest.raises(DeliveryError, match="no live text"):
        await build_worker(app, []).edit_text(edits[0])
