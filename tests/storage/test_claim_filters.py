"""Each worker claims only the rows it serves: the main one Telegram and Slack, a console its own person's chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.core.codec import encode
from bot.core.events import ChatKind
from storage.deliveries import LEASED, PENDING, claim
from storage.models import Delivery
from storage.outbox import OutboxRepository, Target

LEASE = timedelta(seconds=60)
TARGETS = (
    Target("telegram", "1001", "es"),
    Target("slack", "C01", "en", "T0SANDBOX"),
    Target("console", "dm-lucia", "es", kind=ChatKind.PRIVATE),
    Target("console", "dm-sam", "en", kind=ChatKind.PRIVATE),
)


async def test_claims_keep_to_their_platforms_and_chats(any_app: App) -> None:
    async with any_app.sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        for target in TARGETS:
            await outbox.enqueue("appeal:1", target, encode(f"→ {target.chat_id}"))

    async with any_app.sessions() as session, session.begin():
        lucia = await claim(session, 10, LEASE, platforms=("console",), chats=("dm-lucia",))
    assert [(r.platform, r.chat_id) for r in lucia] == [("console", "dm-lucia")]

    async with any_app.sessions() as session, session.begin():
        main = await claim(session, 10, LEASE, platforms=("telegram", "slack"))
    assert sorted(r.platform for r in main) == ["slack", "telegram"]

    async with any_app.sessions() as session:
        states = {r.chat_id: r.status for r in (await session.execute(select(Delivery))).scalars()}
    # Sam's console is not open: his row waits for him instead of failing.
    assert states == {"1001": LEASED, "C01": LEASED, "dm-lucia": LEASED, "dm-sam": PENDING}

    async with any_app.sessions() as session, session.begin():
        rest = await claim(session, 10, LEASE)  # no filter: whatever is due
    assert [r.chat_id for r in rest] == ["dm-sam"]
