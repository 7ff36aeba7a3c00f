"""The dashboard's overview: what needs the secretariat now, and the network's recent activity as charts.

Figures (all times UTC; a chart's figures are also given as a table under it):

- cases per week by threat type: cases created in each of the last 12 weeks (weeks start on Monday);
- time to first answer: for cases reported in the last 30 days, the time from the report to the first entry
  a secretariat member put on its timeline (a status change, an assignment, a note or a reply to the
  reporter: :data:`ANSWERS`); median and worst over the cases answered, and how many still wait;
- appeals delivered per day: copies of appeals (not their notices or status messages) the platforms
  accepted each day of the last 30 days;
- letters' sign-on curves: the signatures of each letter open for signature, counted up over time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiohttp import web
from babel.dates import format_skeleton, format_timedelta
from babel.numbers import format_decimal
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Translator
from bot.dashboard import charts
from bot.dashboard.visit import render, visit
from handlers.report_steps import THREATS
from storage.cases import OPEN
from storage.models import Appeal, Case, CaseEvent, Delivery, Letter, Signature, utcnow

routes = web.RouteTableDef()

WEEKS = 12
DAYS = 30
ANSWERS = ("status", "assign", "note", "to_reporter")  # timeline entries written by the secretariat


@dataclass(frozen=True)
class Figures:
    """A chart's figures for its table: column headings and rows (first cell the category)."""

    headings: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    """A chart as the page shows it: the SVG, and its figures as a table."""

    title: str
    svg: Markup
    figures: Figures


def _day_label(t: Translator, day: date) -> str:
    return str(format_skeleton("MMMd", day, locale=t.locale))


def _week_start(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


async def _cases_per_week(session: AsyncSession, t: Translator, now: datetime) -> Chart:
    first = _week_start(now) - timedelta(weeks=WEEKS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    found = await session.execute(select(Case.created_at, Case.threat_type).where(Case.created_at >= since))
    counts: dict[str, list[float]] = {}
    for created, threat in found:
        week = (_week_start(created) - first).days // 7
        counts.setdefault(threat if threat in THREATS else "other", [0.0] * WEEKS)[week] += 1
    series = [charts.Series(t.gettext(THREATS[key]), counts[key]) for key in THREATS if key in counts]
    weeks = [_day_label(t, first + timedelta(weeks=i)) for i in range(WEEKS)]
    title = t.gettext("Cases reported per week, by threat type")
    number = _number(t)
    return Chart(
        title,
        Markup(charts.stacked_bars(title, weeks, series, number)),
        Figures(
            [t.gettext("Week of"), *(s.label for s in series), t.gettext("All")],
            [
                [week, *(number(s.values[i]) for s in series), number(sum(s.values[i] for s in series))]
                for i, week in enumerate(weeks)
            ],
        ),
    )


@dataclass(frozen=True)
class Answers:
    """Time from report to first answer over the last :data:`DAYS` days."""

    median: timedelta | None
    worst: timedelta | None
    answered: int
    waiting: int


async def first_answers(session: AsyncSession, now: datetime) -> Answers:
    """See the module's docstring for what counts as the first answer."""
    since = now - timedelta(days=DAYS)
    first = (
        select(CaseEvent.case_id, func.min(CaseEvent.created_at).label("at"))
        .where(CaseEvent.kind.in_(ANSWERS), CaseEvent.actor_id.is_not(None))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    found = await session.execute(
        select(Case.created_at, first.c.at)
        .outerjoin(first, first.c.case_id == Case.id)
        .where(Case.created_at >= since)
    )
    waits: list[timedelta] = []
    waiting = 0
    for created, answered in found:
        if answered is None:
            waiting += 1
        else:
            waits.append(max(timedelta(0), answered - created))
    if not waits:
        return Answers(None, None, 0, waiting)
    median = timedelta(seconds=statistics.median(w.total_seconds() for w in waits))
    return Answers(median, max(waits), len(waits), waiting)


def _duration(t: Translator, span: timedelta | None) -> str:
    return str(format_timedelta(span, granularity="minute", locale=t.locale)) if span is not None else "—"


def _answers_chart(t: Translator, answers: Answers) -> Chart:
    title = t.gettext("Time from report to first answer, last 30 days (hours)")
    kinds = [t.gettext("Median"), t.gettext("Worst")]
    spans = [answers.median, answers.worst]
    hours = [round((s or timedelta(0)).total_seconds() / 3600, 1) for s in spans]
    return Chart(
        title,
        Markup(charts.bars(title, kinds, hours, t.gettext("Hours"), _number(t))),
        Figures(["", t.gettext("Time")], [[k, _duration(t, s)] for k, s in zip(kinds, spans, strict=True)]),
    )


async def _appeals_per_day(session: AsyncSession, t: Translator, now: datetime) -> Chart:
    first = now.astimezone(UTC).date() - timedelta(days=DAYS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    found = await session.execute(
        select(Delivery.sent_at).where(
            Delivery.subject.like("appeal:%"),
            Delivery.subject.not_like("appeal:%:%"),  # the copies, not status messages or notices
            Delivery.operation == "send",
            Delivery.status == "sent",
            Delivery.sent_at >= since,
        )
    )
    per_day = [0.0] * DAYS
    for (sent_at,) in found:
        if sent_at is None:  # not possible once sent; keeps the type honest
            continue
        per_day[(sent_at.astimezone(UTC).date() - first).days] += 1
    days = [_day_label(t, first + timedelta(days=i)) for i in range(DAYS)]
    title = t.gettext("Appeal copies delivered per day, last 30 days")
    number = _number(t)
    return Chart(
        title,
        Markup(charts.bars(title, days, per_day, t.gettext("Copies"), number)),
        Figures(
            [t.gettext("Day"), t.gettext("Copies")],
            [[d, number(n)] for d, n in zip(days, per_day, strict=True)],
        ),
    )


async def _sign_on(session: AsyncSession, t: Translator, now: datetime) -> Chart | None:
    letters = (await session.execute(select(Letter).where(Letter.status == "published"))).scalars().all()
    if not letters:
        return None
    curves: list[charts.Line] = []
    for letter in letters:
        moments = (
            await session.execute(
                select(Signature.signed_at)
                .where(Signature.letter_id == letter.id)
                .order_by(Signature.signed_at)
            )
        ).scalars()
        points = [(m.timestamp(), float(i + 1)) for i, m in enumerate(moments)]
        curves.append(charts.Line(letter.reference, points))
    start = min(letter.created_at for letter in letters)
    x_range = (start.timestamp(), now.timestamp())
    labels = [(x, _day_label(t, datetime.fromtimestamp(x, UTC).date())) for x in x_range]
    title = t.gettext("Signatures over time, letters open for signature")
    number = _number(t)
    return Chart(
        title,
        Markup(charts.lines(title, curves, x_range, labels, number)),
        Figures(
            [t.gettext("Letter"), t.gettext("Signatures"), t.gettext("Latest signature")],
            [
                [
                    c.label,
                    number(len(c.points)),
                    t.format_datetime(datetime.fromtimestamp(c.points[-1][0], UTC), "short")
                    if c.points
                    else "—",
                ]
                for c in curves
            ],
        ),
    )


def _number(t: Translator) -> charts.Number:
    return lambda n: str(format_decimal(n, locale=t.locale))


async def _count(session: AsyncSession, query: object) -> int:
    return int((await session.execute(query)).scalar_one())  # type: ignore[call-overload]


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    """Counts a person reads at a glance, then the charts."""
    here = visit(request)
    session, t, now = here.store.session, here.t, utcnow()
    counts = {
        "triage": await _count(session, select(func.count()).where(Case.status == "new")),
        "open": await _count(session, select(func.count()).where(Case.status.in_(OPEN))),
        "appeals": await _count(session, select(func.count()).where(Appeal.status.in_(("sent", "updated")))),
        "letters": await _count(session, select(func.count()).where(Letter.status == "published")),
    }
    answers = await first_answers(session, now)
    shown = [
        await _cases_per_week(session, t, now),
        _answers_chart(t, answers),
        await _appeals_per_day(session, t, now),
    ]
    sign_on = await _sign_on(session, t, now)
    return render(
        request,
        "overview.html",
        counts=counts,
        answers=answers,
        median=_duration(t, answers.median),
        worst=_duration(t, answers.worst),
        charts=[*shown, *([sign_on] if sign_on else [])],
    )
