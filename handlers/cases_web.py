"""The dashboard's case pages: the inbox (needs triage first, then urgency and age) and a case's own page.

Every change a page makes goes through :mod:`handlers.case_ops` and :mod:`handlers.case_drafts`, the very
operations behind the chat's STATUS, ASSIGN, NOTE, REPLY and ``CASE REF appeal|letter|link``: the same
timeline entries, audit, consent rules and outbox messages. Labels are the chat's translated ones; the
reporter appears only as the case, as in the chat's case view.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select

from bot.dashboard.links import PREFIX
from bot.dashboard.visit import Visit, field, form, redirect, render, visit
from handlers import case_drafts, case_ops
from handlers.case_view import (
    detail_lines,
    member_name,
    status_label,
    threat_label,
    timeline_line,
    urgency_label,
)
from handlers.countries import country_name
from handlers.report_steps import THREATS, URGENCY
from storage.cases import PAGE, STATUSES, URGENCIES, CaseFilter, CaseRepository
from storage.models import Appeal, Case, Letter, Role

routes = web.RouteTableDef()
FILTERS = ("status", "urgency", "threat", "country", "assignee", "mine", "q")
RELAY = ("from_reporter", "to_reporter")


@dataclass(frozen=True)
class Row:
    """One case in the inbox, every value already in the reader's words."""

    reference: str
    status: str
    new: bool
    urgency: str
    urgent: bool
    threat: str
    country: str
    reported: str
    assignee: str


def _choice(value: str, allowed: tuple[str, ...] | list[str]) -> str:
    return value if value in allowed else ""


def _filter(here: Visit, query: dict[str, str], countries: list[str]) -> CaseFilter:
    """The inbox's filter from the page's query (unknown values are ignored, not errors)."""
    status = query.get("status", "")
    assignee = query.get("assignee", "")
    mine = query.get("mine") == "1"
    return CaseFilter(
        status=_choice(status, STATUSES) or None,
        every_status=status == "all",
        urgency=_choice(query.get("urgency", ""), URGENCIES) or None,
        threat_type=_choice(query.get("threat", ""), list(THREATS)) or None,
        country=_choice(query.get("country", ""), countries) or None,
        assignee_id=here.person.id if mine else int(assignee) if assignee.isdigit() else None,
        unassigned=assignee == "none" and not mine,
        reference=query.get("q", "").strip()[:20] or None,
    )


async def _row(here: Visit, case: Case) -> Row:
    t = here.t
    assignee = await here.store.persons.get(case.assignee_id) if case.assignee_id else None
    return Row(
        reference=case.reference,
        status=status_label(t, case.status),
        new=case.status == "new",
        urgency=urgency_label(t, case),
        urgent=case.urgency == "immediate",
        threat=threat_label(t, case),
        country=country_name(case.country, t.language),
        reported=t.format_datetime(case.created_at, "short"),
        assignee=member_name(t, assignee) if assignee else "—",
    )


@routes.get("/cases")
async def inbox(request: web.Request) -> web.Response:
    """Open cases, those needing triage first, then by urgency and age; filters, search and pages."""
    here = visit(request)
    query = {name: request.query.get(name, "") for name in FILTERS}
    cases = CaseRepository(here.store.session)
    searched = query["q"].strip()
    if searched:  # a whole reference opens its case
        exact = await cases.by_reference(searched)
        if exact is not None:
            return redirect(f"{PREFIX}/cases/{exact.reference}")
    countries = await cases.countries()
    page = max(int(request.query["page"]), 1) if request.query.get("page", "").isdigit() else 1
    found, total = await cases.listing(_filter(here, query, countries), page, new_first=True)
    pages = max((total + PAGE - 1) // PAGE, 1)
    kept = {name: value for name, value in query.items() if value}
    secretariat = await here.store.persons.with_role(Role.SECRETARIAT)
    t = here.t
    return render(
        request,
        "cases_list.html",
        rows=[await _row(here, case) for case in found],
        total=total,
        page=page,
        pages=pages,
        previous=f"?{urlencode({**kept, 'page': page - 1})}" if page > 1 else "",
        next=f"?{urlencode({**kept, 'page': page + 1})}" if page < pages else "",
        query=query,
        statuses=[(key, status_label(t, key)) for key in STATUSES],
        urgencies=[(key, t.gettext(URGENCY[key])) for key in URGENCIES],
        threats=[(key, t.gettext(label)) for key, label in THREATS.items()],
        countries=sorted(((c, country_name(c, t.language)) for c in countries), key=lambda pair: pair[1]),
        members=[(str(p.id), member_name(t, p)) for p in secretariat],
    )


@routes.get("/cases/{reference}")
async def case_page(request: web.Request) -> web.Response:
    """A case: details, relay, notes and timeline, and the forms that act on it (the read is audited)."""
    here = visit(request)
    case = await CaseRepository(here.store.session).by_reference(request.match_info["reference"])
    if case is None:
        return render(request, "cases_missing.html", status=404, reference=request.match_info["reference"])
    await case_ops.read(here.ctx, case)
    entries = await CaseRepository(here.store.session).timeline(case)
    lines = [(entry.kind, await timeline_line(here.ctx, entry)) for entry in entries]
    session = here.store.session
    appeals = (await session.execute(select(Appeal).where(Appeal.case_id == case.id))).scalars().all()
    letters = (await session.execute(select(Letter).where(Letter.case_id == case.id))).scalars().all()
    secretariat = await here.store.persons.with_role(Role.SECRETARIAT)
    return render(
        request,
        "cases_page.html",
        case=case,
        status_text=status_label(here.t, case.status),
        details=(await detail_lines(here.ctx, case))[1:],  # the first line is the heading
        relay=[line for kind, line in lines if kind in RELAY],
        notes=[line for kind, line in lines if kind == "note"],
        timeline=[line for _kind, line in lines],
        statuses=[(key, status_label(here.t, key)) for key in STATUSES],
        members=[(str(p.id), member_name(here.t, p)) for p in secretariat if p.id != case.assignee_id],
        shareable=case.consent == "network",
        drafts=[(a.reference, f"{PREFIX}/appeals/{a.reference}") for a in appeals]
        + [(letter.reference, f"{PREFIX}/letters/{letter.reference}") for letter in letters],
    )


async def _acting_on(request: web.Request) -> tuple[Visit, Case | None, dict[str, str]]:
    """A form posted about a case: its fields (after the CSRF check), and the case (None: told so)."""
    posted = await form(request)
    here = visit(request)
    case = await case_ops.find(here.ctx, request.match_info["reference"])
    return here, case, {name: field(posted, name) for name in posted}


def _back(case: Case | None) -> web.Response:
    return redirect(f"{PREFIX}/cases/{case.reference}" if case else f"{PREFIX}/cases")


@routes.post("/cases/{reference}/status")
async def change_status(request: web.Request) -> web.Response:
    """The status form: what STATUS does in chat."""
    here, case, posted = await _acting_on(request)
    if case is not None and not await case_ops.set_status(here.ctx, case, posted.get("status", "")):
        here.notice(here._("Choose a status."))
    return _back(case)


@routes.post("/cases/{reference}/assign")
async def assign(request: web.Request) -> web.Response:
    """Assign to me, or to the secretariat member chosen: what ASSIGN does in chat."""
    here, case, posted = await _acting_on(request)
    chosen = posted.get("assignee", "")
    if case is not None:
        if chosen == "me":
            await case_ops.assign(here.ctx, case, here.person.id)
        elif chosen.isdigit():
            await case_ops.assign(here.ctx, case, int(chosen))
        else:
            here.notice(here._("Choose a secretariat member."))
    return _back(case)


@routes.post("/cases/{reference}/note")
async def note(request: web.Request) -> web.Response:
    """An internal note: what NOTE does in chat."""
    here, case, posted = await _acting_on(request)
    if case is not None and not await case_ops.add_note(here.ctx, case, posted.get("text", "")):
        here.notice(here._("Write something first."))
    return _back(case)


@routes.post("/cases/{reference}/reply")
async def reply(request: web.Request) -> web.Response:
    """A message to the reporter through the relay: what REPLY does in chat."""
    here, case, posted = await _acting_on(request)
    if case is not None and not await case_ops.reply_to_reporter(here.ctx, case, posted.get("text", "")):
        here.notice(here._("Write something first."))
    return _back(case)


@routes.post("/cases/{reference}/draft")
async def draft(request: web.Request) -> web.Response:
    """A draft appeal or letter from the case, under the reporter's consent: ``CASE REF appeal|letter``."""
    here, case, posted = await _acting_on(request)
    kind = posted.get("kind", "")
    if case is not None and kind in ("appeal", "letter"):
        await case_drafts.start_from_case(here.ctx, case, kind)
    return _back(case)


@routes.post("/cases/{reference}/link")
async def link(request: web.Request) -> web.Response:
    """Tie an existing appeal or letter to the case: ``CASE REF link UA-…|CL-…``."""
    here, case, posted = await _acting_on(request)
    if case is not None:
        await case_drafts.link(here.ctx, case, posted.get("reference", "") or "—")
    return _back(case)
