"""Alerts to the triage channel for new reports, and the limits that keep a flood from burying a real one.

A person may file ``SOS_REPORTS_PER_HOUR`` reports an hour. New cases within :data:`BURST_WINDOW` of a case
that was alerted on its own are not alerted one by one: the first alert is edited (at most once per
:data:`EDIT_EVERY` per copy) into one list of every reference of the burst.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core import revisions
from bot.core.context import Context
from bot.core.events import Button
from bot.core.i18n import N_, translator
from handlers.countries import country_name
from handlers.report_steps import THREATS, URGENCY
from storage.cases import CaseRepository
from storage.models import Case, Delivery, utcnow
from storage.outbox import URGENT
from storage.targeting import secretariat_targets

BURST_WINDOW = timedelta(minutes=2)
EDIT_EVERY = timedelta(seconds=10)
MAX_OPEN_BUTTONS = 8


async def over_the_limit(ctx: Context) -> bool:
    """Whether the person already filed their reports for this hour; if so, says so (kindly)."""
    limit = ctx.settings.reports_per_hour
    count = await CaseRepository(ctx.store.session).reported_since(
        ctx.person.id, utcnow() - timedelta(hours=1)
    )
    if count < limit:
        return False
    ctx.reply(
        ctx.ngettext(
            "You have sent {n} report in the last hour, the most I can take. Please wait a little before "
            "reporting again; to add to a report, type MYCASES. If you are in immediate danger, contact "
            "people near you first.",
            "You have sent {n} reports in the last hour, the most I can take. Please wait a little before "
            "reporting again; to add to a report, type MYCASES. If you are in immediate danger, contact "
            "people near you first.",
            count,
        )
    )
    return True


def _alert_subject(case_id: int) -> str:
    return f"case:{case_id}:alert"


async def alert_new_case(ctx: Context, case: Case) -> None:
    """Alert the triage channel of a new case, folded into the alert of a burst when one is under way."""
    cases = CaseRepository(ctx.store.session)
    recent = [c for c in await cases.created_since(utcnow() - BURST_WINDOW) if c.id != case.id]
    alerted = set(
        (
            await ctx.store.session.execute(
                select(Delivery.subject).where(
                    Delivery.subject.in_([_alert_subject(c.id) for c in recent]), Delivery.operation == "send"
                )
            )
        ).scalars()
    )
    anchor = next((c for c in reversed(recent) if _alert_subject(c.id) in alerted), None)
    if anchor is None:
        await alert_triage(ctx, case.id, case.reference, case.country or "", case.threat_type, case.urgency)
        return
    burst = [c for c in recent if c.id >= anchor.id] + [case]

    def draft(language: str) -> tuple[str, list[list[Button]]]:
        t = translator(language)
        lines = [t.ngettext("{n} new threat report within minutes:", "{n} new threat reports within minutes:",
                            len(burst))]  # fmt: skip
        lines += [
            t.gettext("{reference}: {country}, {threat}, {urgency}", **_details(c, language)) for c in burst
        ]
        buttons = [
            [Button(t.gettext("Open {reference}", reference=c.reference), "case-open", str(c.id))]
            for c in burst[:MAX_OPEN_BUTTONS]
        ]
        return "\n".join(lines), buttons

    await ctx.outbox.edit_all(_alert_subject(anchor.id), draft, coalesce=EDIT_EVERY)


def _details(case: Case, language: str) -> dict[str, str]:
    t = translator(language)
    return {
        "reference": case.reference,
        "country": country_name(case.country, language),
        "threat": t.gettext(THREATS.get(case.threat_type or "", N_("Other"))),
        "urgency": t.gettext(URGENCY.get(case.urgency or "", N_("Ongoing"))),
    }


async def alert_triage(
    ctx: Context,
    case_id: int,
    reference: str,
    country: str,
    threat: str | None,
    urgency: str | None,
    *,
    message: bool = False,
) -> None:
    """A minimal alert (reference, country, threat type, urgency: never names or details) to the triage
    channel, or to each secretariat member's private chat when there is none. ``message``: the reporter
    wrote again; the text itself stays in the store, behind the Open button."""
    targets = await secretariat_targets(ctx.store.session, ctx.settings.default_language)
    revision = revisions.per_fact(len(await CaseRepository(ctx.store.session).timeline_ids(case_id)))
    for target in targets:
        t = translator(target.language)
        details = {
            "reference": reference,
            "country": country_name(country, target.language),
            "threat": t.gettext(THREATS.get(threat or "", N_("Other"))),
            "urgency": t.gettext(URGENCY.get(urgency or "", N_("Ongoing"))),
        }
        if message:
            text = t.gettext("The reporter of {reference} wrote again ({country}, {threat}).", **details)
        else:
            text = t.gettext("New threat report {reference}: {country}, {threat}, {urgency}.", **details)
        await ctx.fan_out(
            _alert_subject(case_id),
            target,
            text,
            [[Button(t.gettext("Open"), "case-open", str(case_id))]],
            priority=URGENT,
            revision=revision,
        )
