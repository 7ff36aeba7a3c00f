"""The dashboard's channels: registered chats with translated labels, lost targets, switching a channel off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import App
from bot.core.codec import encode
from bot.core.delivery import DeliveryError, FailureKind
from bot.core.events import ChatRef, Edit, OutgoingMessage
from bot.runner import build_worker
from storage.models import AuditEntry, Channel
from storage.outbox import OutboxRepository, Target
from tests.dashboard.site import Dashboard, dashboard_fixture, signed_in
from tests.dashboard.test_organisations import page, post
from tests.handlers.test_appeals import in_group
from tests.support import chat


@pytest.fixture
async def dashboard(app: App) -> AsyncIterator[Dashboard]:
    async for served in dashboard_fixture(app):
        yield served


class Refusing:
    """A console platform that refuses every chat: the bot was removed from the group, the person blocked it."""

    platform = "console"

    def routes(self) -> Sequence[web.RouteDef]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutgoingMessage) -> str:
        kind = FailureKind.NOT_FOUND if message.chat.chat_id == "g-2" else FailureKind.BLOCKED
        raise DeliveryError(kind, "refused")

    async def edit(self, edit: Edit) -> None:
        raise DeliveryError(FailureKind.BLOCKED, "refused")

    async def delete(self, chat: ChatRef, message_id: str) -> None:
        raise DeliveryError(FailureKind.BLOCKED, "refused")


async def register(app: App) -> None:
    await chat(app, "sam").say("/help")  # Sam's private chat is known
    await in_group(app, "sam", "g-1").say("/channel member es americas corporate-accountability")
    await in_group(app, "sam", "g-2").say("/channel member ar mena")
    await in_group(app, "sam", "g-3").say("/channel triage")


async def test_channels_are_listed_with_translated_labels(dashboard: Dashboard) -> None:
    await register(dashboard.app)
    async with await signed_in(dashboard, "sam") as sam:
        listing = await page(sam, f"{dashboard.base}/dashboard/channels")
    assert "Group g-1" in listing and "Spanish" in listing and "Americas" in listing
    assert "Corporate Accountability" in listing and "corporate-accountability" not in listing
    assert "triage channel" in listing and "member channel" in listing
    assert listing.count(">active<") == 3 and "The bot reaches every chat it sends to." in listing
    async with await signed_in(dashboard, "amina") as amina:
        arabic = await page(amina, f"{dashboard.base}/dashboard/channels")
    assert "الإسبانية" in arabic and "Americas" not in arabic and "Spanish" not in arabic


async def test_lost_targets_say_what_when_and_why(dashboard: Dashboard) -> None:
    app = dashboard.app
    await register(app)
    await chat(app, "rafael").say("/help")
    async with app.sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        for chat_id in ("g-1", "g-2", "dm-rafael"):
            await outbox.enqueue("appeal:1", Target("console", chat_id, "en"), encode("Urgent appeal"))
    await build_worker(
        app, [Refusing()], platforms=("console",), chats=("g-1", "g-2", "dm-rafael")
    ).run_until_idle()
    async with await signed_in(dashboard, "sam") as sam:
        listing = await page(sam, f"{dashboard.base}/dashboard/channels")
    lost = listing.split("Lost targets")[1]
    assert "Group g-1" in lost and "the bot was blocked or removed" in lost
    assert "Group g-2" in lost and "the chat no longer exists" in lost
    assert "private chat of person #6" in lost and "dm-rafael" not in listing
    assert "A message" in lost
    assert listing.count("lost: the bot cannot reach it") == 2  # the triage channel is still reached
    async with app.sessions() as session:
        inactive = (
            (await session.execute(select(Channel.title).where(Channel.active.is_(False)))).scalars().all()
        )
    assert sorted(t or "" for t in inactive) == ["Group g-1", "Group g-2"]


async def test_switching_a_channel_off_is_the_chat_operation(dashboard: Dashboard) -> None:
    await register(dashboard.app)
    async with dashboard.app.sessions() as session:
        triage = (await session.execute(select(Channel).where(Channel.title == "Group g-3"))).scalar_one()
    url = f"{dashboard.base}/dashboard/channels/{triage.id}/off"
    async with await signed_in(dashboard, "sam") as sam:
        async with sam.post(url, data={}) as refused:
            assert refused.status == 403
        done = await post(sam, url)
        assert f"#{triage.id} Group g-3 will no longer receive anything from the bot." in done
        assert "switched off" in done
        async with sam.post(f"{dashboard.base}/dashboard/channels/99/off", data={"csrf": ""}) as bad:
            assert bad.status == 403
    async with dashboard.app.sessions() as session:
        entry = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.subject == f"channel:{triage.id}")
                    .order_by(AuditEntry.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert entry is not None and entry.detail["active"] is False
