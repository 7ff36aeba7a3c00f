"""How a case reads to the secretariat: one line in a list, the full view with its timeline.

Every stored key (status, threat, urgency, consent, timeline kind, language) is shown by its translated
label; dates are formatted by Babel in the reader's timezone. The reporter appears only as the case.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import N_, Translator
from handlers.countries import country_name
from handlers.report_steps import CONSENT, SUPPORT, THREATS, URGENCY, WHO, split_at_risk
from storage.cases import CaseRepository
from storage.models import Case, CaseEvent, Person
from storage.targeting import private_target

STATUS_LABELS = {
    "new": N_("new"),
    "triage": N_("in triage"),
    "verified": N_("verified"),
    "active": N_("active"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}


def status_label(t: Translator, status: str) -> str:
    """A case status in ``t``'s language."""
    return t.gettext(STATUS_LABELS.get(status, N_("new")))


def threat_label(t: Translator, case: Case) -> str:
    """The case's threat type in ``t``'s language."""
    return t.gettext(THREATS.get(case.threat_type or "other", N_("Other")))


def urgency_label(t: Translator, case: Case) -> str:
    """The case's urgency in ``t``'s language."""
    return t.gettext(URGENCY.get(case.urgency or "ongoing", N_("Ongoing")))


# Who is at risk as others read it: the reporter chose "Me", the secretariat reads "The reporter".
AT_RISK_LABELS = {**WHO, "me": N_("The reporter")}


def at_risk_label(t: Translator, at_risk: str | None) -> str:
    """Who is at risk, as a reader says it: «Another person — Ana López», «Me» (stored as keys)."""
    key, names = split_at_risk(at_risk)
    if key is None:
        return names or "—"
    label = t.gettext(AT_RISK_LABELS[key])
    return t.gettext("{who} — {names}", who=label, names=names) if names else label


def member_name(t: Translator, person: Person | None) -> str:
    """A secretariat member as ``#N Name`` (an assignee, the author of a timeline entry)."""
    if person is None:
        return "—"
    return t.gettext("#{id} {name}", id=person.id, name=person.display_name or t.gettext("(no name)"))


def language_name(t: Translator, language: str | None) -> str:
    """A language's CLDR name in ``t``'s language (``portugués`` for a Spanish reader of ``pt``)."""
    return t.language_name(language)


async def list_line(ctx: Context, case: Case) -> str:
    """One case in a list: reference, country, threat, urgency, status, date and assignee."""
    values = {
        "reference": case.reference,
        "country": country_name(case.country, ctx.locale),
        "threat": threat_label(ctx.t, case),
        "urgency": urgency_label(ctx.t, case),
        "status": status_label(ctx.t, case.status),
        "date": ctx.t.format_datetime(case.created_at, "short"),
    }
    if case.assignee_id is None:
        return ctx._("{reference} — {country}, {threat}, {urgency} ({status}) · {date}", **values)
    assignee = member_name(ctx.t, await ctx.store.persons.get(case.assignee_id))
    return ctx._(
        "{reference} — {country}, {threat}, {urgency} ({status}) · {date} · {assignee}",
        assignee=assignee,
        **values,
    )


async def full_view(ctx: Context, case: Case) -> str:
    """The whole case, for one secretariat member's private chat."""
    lines = await detail_lines(ctx, case)
    entries = await CaseRepository(ctx.store.session).timeline(case)
    if entries:
        lines.append(ctx._("Timeline:"))
        lines += [await timeline_line(ctx, entry) for entry in entries]
    return "\n".join(lines)


async def detail_lines(ctx: Context, case: Case) -> list[str]:
    """The case's details, one labelled line each (the chat's view and the dashboard's case page).

    The reporter appears only by their language: never a name, a username or a platform id.
    """
    t = ctx.t
    assignee = await ctx.store.persons.get(case.assignee_id) if case.assignee_id else None
    reporter = (
        await private_target(ctx.store.session, case.reporter_id, ctx.settings.default_language)
        if case.reporter_id
        else None
    )
    return [
        ctx._("{reference} ({status})", reference=case.reference, status=status_label(t, case.status)),
        ctx._("Reported on: {date}", date=t.format_datetime(case.created_at, "medium")),
        ctx._("Reporter's language: {language}", language=language_name(t, reporter.language if reporter else None)),
        ctx._("Assigned to: {assignee}", assignee=member_name(t, assignee) if assignee else ctx._("nobody yet")),
        ctx._("At risk: {value}", value=at_risk_label(t, case.at_risk)),
        ctx._("Country and place: {country}, {place}", country=country_name(case.country, ctx.locale), place=case.place or "—"),
        ctx._("Threat: {value}", value=threat_label(t, case)),
        ctx._("What happened: {text}", text=case.what_happened or "—"),
        ctx._("When: {value}", value=case.when_happened or "—"),
        ctx._("Urgency: {value}", value=urgency_label(t, case)),
        ctx._(
            "Support asked: {value}",
            value=", ".join(ctx._(SUPPORT[s]) for s in case.support_requested or [] if s in SUPPORT) or "—",
        ),
        ctx._("Contact: {value}", value=case.contact or ctx._("Only in this chat")),
        ctx._("Who may see it: {value}", value=ctx._(CONSENT.get(case.consent, N_("The secretariat only")))),
    ]  # fmt: skip


async def timeline_line(ctx: Context, entry: CaseEvent) -> str:
    """One timeline entry, its kind in words; the reporter's own entries never name them."""
    t = ctx.t
    when = t.format_datetime(entry.created_at, "short")
    actor = member_name(t, await ctx.store.persons.get(entry.actor_id)) if entry.actor_id else "—"
    body = entry.body or "—"
    if entry.kind == "created":
        return ctx._("{when} — report received", when=when)
    if entry.kind == "from_reporter":
        return ctx._("{when} — from the reporter: {text}", when=when, text=body)
    if entry.kind == "status":
        return ctx._("{when} — status set to {status} by {actor}", when=when,
                     status=status_label(t, body) if body in STATUS_LABELS else "—", actor=actor)  # fmt: skip
    if entry.kind == "assign":
        assignee = await ctx.store.persons.get(int(body)) if body.isdigit() else None
        return ctx._("{when} — assigned to {assignee} by {actor}", when=when,
                     assignee=member_name(t, assignee), actor=actor)  # fmt: skip
    if entry.kind == "to_reporter":
        return ctx._("{when} — {actor} to the reporter: {text}", when=when, actor=actor, text=body)
    return ctx._("{when} — note by {actor}: {text}", when=when, actor=actor, text=body)
