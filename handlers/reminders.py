"""Reminders to the secretariat when the network's promise is at risk (periodic jobs of the running process).

- A case still ``new`` after ``SOS_UNANSWERED_CASE_HOURS`` is announced again, once per period, to the triage
  channel and to each secretariat member privately: reference, country, threat type and urgency only.
- Urgent messages still undelivered after ``SOS_URGENT_ALERT_MINUTES`` raise one alert (a new one only when
  a newer message gets stuck), so an outage that holds back a triage alert or a reporter's answer is seen.

Both are idempotent: the outbox's unique (subject, target, revision) makes a second run in the same period
queue nothing, whichever process runs it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core import revisions
from bot.core.events import Button, ChatKind
from bot.core.i18n import N_, translator
from bot.core.outbox_api import Outbox
from bot.core.router import Router
from handlers.countries import country_name
from handlers.report_steps import THREATS, URGENCY
from storage.models import Case, Person, Role, utcnow
from storage.outbox import URGENT, Target
from storage.outbox_health import stuck_urgent
from storage.targeting import private_target, secretariat_targets

STUCK_SUBJECT = "outbox:stuck-urgent"
PLATFORM_NAMES = {"telegram": "Telegram", "slack": "Slack", "console": N_("the console")}


async def secretariat_everywhere(session: AsyncSession, default_language: str) -> list[Target]:
    """The active triage channels and each secretariat member's private chat (each chat once)."""
    targets = [
        t for t in await secretariat_targets(session, default_language) if t.kind is not ChatKind.PRIVATE
    ]
    people = await session.execute(
        select(Person.id)
        .where(Person.role == Role.SECRETARIAT, Person.erased_at.is_(None))
        .order_by(Person.id)
    )
    for person_id in people.scalars():
        target = await private_target(session, person_id, default_language)
        if target is not None:
            targets.append(target)
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for target in targets:
        if (key := (target.platform, target.workspace, target.chat_id)) not in seen:
            seen.add(key)
            unique.append(target)
    return unique


router = Router()
REMINDER_INTERVAL = 60.0  # seconds between looks; each reminder itself is due per its own setting


@router.job("unanswered cases", every=REMINDER_INTERVAL)
async def remind_unanswered_cases(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """Announce again every case nobody has picked up for a whole period; returns the reminders queued."""
    now = now or utcnow()
    period = timedelta(hours=settings.unanswered_case_hours)
    queued = 0
    async with sessions() as session, session.begin():
        # Columns, not the Case: the sweep never decrypts (or risks failing on) what a reporter wrote.
        waiting = await session.execute(
            select(Case.id, Case.reference, Case.country, Case.threat_type, Case.urgency, Case.created_at)
            .where(Case.status == "new", Case.created_at <= now - period)
            .order_by(Case.id)
        )
        found = waiting.all()
        targets = await secretariat_everywhere(session, settings.default_language) if found else []
        outbox = Outbox(session)
        for case_id, reference, country, threat, urgency, created in found:
            created = created if created.tzinfo else created.replace(tzinfo=now.tzinfo)
            periods = int((now - created) / period)
            hours = periods * settings.unanswered_case_hours
            for target in targets:
                t = translator(target.language)
                text = t.ngettext(
                    "Case {reference} ({country}, {threat}, {urgency}) has had no answer for {hours} hour: "
                    "nobody has picked it up yet.",
                    "Case {reference} ({country}, {threat}, {urgency}) has had no answer for {hours} hours: "
                    "nobody has picked it up yet.",
                    hours,
                    reference=reference,
                    country=country_name(country, target.language),
                    threat=t.gettext(THREATS.get(threat or "", N_("Other"))),
                    urgency=t.gettext(URGENCY.get(urgency or "", N_("Ongoing"))),
                    hours=hours,
                )
                queued += await outbox.send(
                    f"case:{case_id}:unanswered",
                    target,
                    text,
                    [[Button(t.gettext("Open"), "case-open", str(case_id))]],
                    priority=URGENT,
                    revision=revisions.per_fact(periods),  # the n-th period unanswered: announced once
                )
    return queued


@router.job("stuck urgent alert", every=REMINDER_INTERVAL)
async def alert_stuck_urgent(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """Tell the secretariat once when urgent messages have waited longer than the limit; returns rows queued."""
    now = now or utcnow()
    minutes = settings.urgent_alert_minutes
    queued = 0
    async with sessions() as session, session.begin():
        stuck = await stuck_urgent(session, now - timedelta(minutes=minutes), STUCK_SUBJECT)
        if stuck is None:
            return 0
        outbox = Outbox(session)
        for target in await secretariat_everywhere(session, settings.default_language):
            t = translator(target.language)
            platforms = ", ".join(t.gettext(PLATFORM_NAMES.get(p, p)) for p in stuck.platforms)
            text = t.ngettext(
                "Urgent messages have been waiting more than {minutes} minute to be delivered on {platforms} "
                "(waiting now: {count}). The bot keeps trying; please check that it can still reach "
                "{platforms}.",
                "Urgent messages have been waiting more than {minutes} minutes to be delivered on {platforms} "
                "(waiting now: {count}). The bot keeps trying; please check that it can still reach "
                "{platforms}.",
                minutes,
                minutes=minutes,
                platforms=platforms,
                count=stuck.count,
            )
            # One alert per stuck message that is the oldest: a new alert only when another gets stuck.
            queued += await outbox.send(
                STUCK_SUBJECT, target, text, priority=URGENT, revision=revisions.per_fact(stuck.oldest_id)
            )
    return queued
