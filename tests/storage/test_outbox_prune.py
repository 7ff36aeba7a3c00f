"""The hourly outbox upkeep deletes what was delivered and is no longer needed, and keeps the rest.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from bot.app import App
from bot.core.codec import encode
from bot.core.events import ChatKind
from handlers import build_router
from storage.appeals import queue_copies
from storage.edits import EDIT, TEXT, queue_coalesced_edits
from storage.models import Delivery, utcnow
from storage.outbox import REPLY_SUBJECT, Target

SUBJECT = "letter:9"
GROUPS = [Target("telegram", f"-100{n}", "es", kind=ChatKind.GROUP) for n in range(3)]


async def rows(app: App) -> list[tuple[str, str, int, str]]:
    async with app.sessions() as session:
        found = await session.execute(
            select(Delivery.operation, Delivery.subject, Delivery.revision, Delivery.status).order_by(
                Delivery.id
            )
        )
        return [tuple(row) for row in found.all()]  # type: ignore[misc]


async def deliver_edits(app: App, revision: int) -> None:
    """Mark the window's edit rows sent, as the worker would."""
    async with app.sessions() as session, session.begin():
        for row in (
            await session.execute(
                select(Delivery).where(Delivery.operation == EDIT, Delivery.revision == revision)
            )
        ).scalars():
            row.status, row.sent_at = "sent", utcnow()


async def change_count(app: App, revision: int, signed: int) -> None:
    async with app.sessions() as session, session.begin():
        await queue_coalesced_edits(
            session, SUBJECT, {"es": encode(f"✍️ {signed}")}, revision=revision, release=utcnow(), priority=9
        )


async def upkeep(app: App) -> int:
    return int(await build_router().jobs["outbox upkeep"].run(app.sessions, app.settings))


async def test_delivered_edits_and_unread_texts_go_after_a_day_copies_and_failures_stay(any_app: App) -> None:
    app = any_app
    with time_machine.travel(utcnow(), tick=False) as clock:
        async with app.sessions() as session, session.begin():
            items = [(target, encode("✍️ 0", kind=ChatKind.GROUP)) for target in GROUPS]
            await queue_copies(session, SUBJECT, items, priority=5, revision=1, status="sent")
            failed = Delivery(subject="appeal:4", platform="telegram", chat_id="-1009", language="es",
                              payload=encode("SOS"), status="failed", last_error="forbidden")  # fmt: skip
            reply = Delivery(subject=f"{REPLY_SUBJECT}1:2.5", platform="telegram", chat_id="77", language="es",
                             payload=encode("Gracias"), status="sent", sent_at=utcnow())  # fmt: skip
            session.add_all([failed, reply])
        await change_count(app, 2, 1)  # a window whose edits are delivered
        await deliver_edits(app, 2)
        await change_count(app, 3, 2)  # a window still waiting to be delivered
        before = await rows(app)
        assert (
            before.count(("edit", SUBJECT, 2, "sent")) == 3
            and before.count(("edit", SUBJECT, 3, "pending")) == 3
        )

        assert await upkeep(app) == 0  # delivered just now: kept for the day
        assert await rows(app) == before

        clock.shift(timedelta(days=1, minutes=1))
        assert await upkeep(app) == 5  # the three sent edits, their window's text, the reply
        after = await rows(app)
        assert [r for r in after if r[:2] == ("send", SUBJECT)] == [("send", SUBJECT, 1, "sent")] * 3
        assert not [r for r in after if r[1].startswith(REPLY_SUBJECT)]
        assert ("send", "appeal:4", 1, "failed") in after
        assert after.count(("edit", SUBJECT, 3, "pending")) == 3
        assert [r for r in after if r[0] == TEXT] == [(TEXT, SUBJECT, 3, "kept")]  # still read by 3 edits
