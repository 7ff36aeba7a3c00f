"""Reminders to the secretariat: a case nobody picked up is announced again once per period (triage channel
and each member privately, no report content), urgent messages stuck past their limit raise one alert, and a
lost target is explained in words. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.app import App
from bot.core.codec import encode, to_message
from bot.core.delivery import FailureKind
from handlers.alerts import notify_target_lost
from handlers.reminders import STUCK_SUBJECT, alert_stuck_urgent, remind_unanswered_cases
from storage.models import Case, Delivery, utcnow
from storage.outbox import URGENT, OutboxRepository, Target
from tests.handlers.test_appeals import in_group
from tests.handlers.test_reports import CONTACT, NAMES, PLACE, WHAT, full_report
from tests.support import chat, people

YEAR = utcnow().year


async def reported_case(app: App) -> Case:
    """Rafael's report, sent; Sam and Amina have private chats; g-triage is the triage channel."""
    await people(app)
    await chat(app, "sam").say("/help")
    await chat(app, "amina").say("/help")
    await in_group(app, "sam", "g-triage").say("/channel triage")
    reporter = await full_report(app, "rafael")
    await reporter.press_button(  # type: ignore[attr-defined]
        next(b for row in reporter.last_buttons for b in row if b.action == "report-send")  # type: ignore[attr-defined]
    )
    async with app.sessions() as session:
        return (await session.execute(select(Case))).scalar_one()


async def texts(app: App, subject: str) -> dict[tuple[str, int], str]:
    async with app.sessions() as session:
        found = (await session.execute(select(Delivery).where(Delivery.subject == subject))).scalars().all()
    return {(row.chat_id, row.revision): to_message(row).text for row in found}


async def test_a_case_nobody_picked_up_is_announced_again_once_per_period(any_app: App) -> None:
    app = any_app
    case = await reported_case(app)
    reference = f"SOS-{YEAR}-0001"
    assert (
        await remind_unanswered_cases(app.sessions, app.settings, case.created_at + timedelta(hours=1)) == 0
    )
    later = case.created_at + timedelta(hours=2, minutes=1)
    assert await remind_unanswered_cases(app.sessions, app.settings, later) == 3
    assert await remind_unanswered_cases(app.sessions, app.settings, later + timedelta(minutes=30)) == 0
    sent = await texts(app, f"case:{case.id}:unanswered")
    english = (
        f"Case {reference} (Brazil, Physical attack or threat, Immediate danger) has had no answer for 2 hours: "
        "nobody has picked it up yet."
    )
    assert sent[("g-triage", 1)] == english  # the triage channel
    assert sent[("dm-sam", 1)] == english  # and each secretariat member privately, in their language
    assert "لم تتلقَّ الحالة" in sent[("dm-amina", 1)] and "ساعتين" in sent[("dm-amina", 1)]
    for text in sent.values():
        assert all(secret not in text for secret in (WHAT, NAMES, PLACE, CONTACT))

    assert await remind_unanswered_cases(app.sessions, app.settings, later + timedelta(hours=2)) == 3
    assert "for 4 hours" in (await texts(app, f"case:{case.id}:unanswered"))[("g-triage", 2)]
    async with app.sessions() as session, session.begin():
        await session.execute(update(Case).values(status="triage"))  # someone picked it up
    assert await remind_unanswered_cases(app.sessions, app.settings, later + timedelta(hours=6)) == 0


async def test_urgent_messages_stuck_past_their_limit_raise_one_alert(any_app: App) -> None:
    app = any_app
    await people(app)
    await chat(app, "sam").say("/help")
    await chat(app, "amina").say("/help")
    async with app.sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        for chat_id in ("901", "902"):
            target = Target("telegram", chat_id, "en")
            await outbox.enqueue("case:1:alert", target, encode("New threat report"), priority=URGENT)
    now = utcnow()
    assert await alert_stuck_urgent(app.sessions, app.settings, now + timedelta(minutes=14)) == 0
    assert await alert_stuck_urgent(app.sessions, app.settings, now + timedelta(minutes=16)) == 2
    assert await alert_stuck_urgent(app.sessions, app.settings, now + timedelta(minutes=30)) == 0  # once
    alerts = await texts(app, STUCK_SUBJECT)
    assert sorted(chat_id for chat_id, _ in alerts) == ["dm-amina", "dm-sam"]
    by_chat = {chat_id: text for (chat_id, _), text in alerts.items()}
    assert by_chat["dm-sam"] == (
        "Urgent messages have been waiting more than 15 minutes to be delivered on Telegram (waiting now: 2). "
        "The bot keeps trying; please check that it can still reach Telegram."
    )
    assert "\u206815\u2069 دقيقة" in by_chat["dm-amina"]


async def test_a_lost_reporter_is_explained_in_words(any_app: App) -> None:
    app = any_app
    case = await reported_case(app)
    row = Delivery(
        subject=f"case:{case.id}:reporter", platform="telegram", workspace="", chat_id="5550", language="pt"
    )
    await notify_target_lost(app.sessions, app.settings.default_language, row, FailureKind.BLOCKED)
    [text] = (await texts(app, "lost:telegram:5550")).values()
    assert text == (
        f"The message to the reporter of case SOS-{YEAR}-0001 could not be delivered to a private chat on "
        "Telegram: the bot was blocked or removed. That person can no longer be reached there."
    )
