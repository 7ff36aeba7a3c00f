"""The dashboard's organisations: the list with verification and members, one organisation's members to confirm.

Verifying, withdrawing a verification and confirming members call :mod:`handlers.org_ops`, the operations
the chat's ``verify`` uses: the same audit entries, the same answers (shown as notices).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.context import Context
from bot.core.i18n import Translator
from bot.dashboard.links import PREFIX
from bot.dashboard.visit import field, form, found_or_404, redirect, render, visit
from handlers import org_ops
from handlers.countries import country_name, is_country, search
from handlers.labels import group_label, join, region_label, role_label
from storage.models import Organisation

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.Response]]
STATES = {"pending": False, "verified": True}


def country_label(t: Translator, country: str | None) -> str:
    """An organisation's country by its CLDR name in the reader's language.

    Organisations store what the member typed when joining: a code, or a name that is read in any of the five
    languages; a name that names no one country is shown as typed.
    """
    if not country:
        return "—"
    code = country if is_country(country) else search(country).found
    return country_name(code, t.language) if code else country


@routes.get("/organisations")
async def organisations(request: web.Request) -> web.Response:
    """Every organisation with its state, country, region and members (how many claim it, how many confirmed)."""
    here = visit(request)
    state = request.query.get("state", "")
    found = await here.store.organisations.overview(STATES.get(state))
    rows = [
        {
            "org": organisation,
            "country": country_label(here.t, organisation.country),
            "region": region_label(here.t, organisation.region) if organisation.region else "—",
            "claimed": claimed,
            "confirmed": confirmed,
        }
        for organisation, claimed, confirmed in found
    ]
    return render(request, "organisations_list.html", rows=rows, state=state if state in STATES else "")


async def _organisation(request: web.Request) -> Organisation:
    number = request.match_info["id"]
    found = await visit(request).store.organisations.get(int(number)) if number.isdigit() else None
    return found_or_404(found, "no such organisation")


@routes.get("/organisations/{id}")
async def organisation(request: web.Request) -> web.Response:
    """One organisation: its details and the people who named it, confirmed or waiting."""
    here = visit(request)
    found = await _organisation(request)
    persons = await here.store.organisations.members(found.id)
    members = [
        {
            "person": person,
            "role": role_label(here.t, person.role),
            "language": here.t.language_name(person.language) if person.language else "—",
        }
        for person in persons
    ]
    return render(
        request,
        "organisations_page.html",
        org=found,
        country=country_label(here.t, found.country),
        region=region_label(here.t, found.region) if found.region else "—",
        groups=join(here.t, (group_label(here.t, g) for g in found.working_groups or [])),
        members=members,
        waiting=sum(1 for person in persons if not person.membership_confirmed),
    )


def _back(organisation: Organisation) -> web.Response:
    return redirect(f"{PREFIX}/organisations/{organisation.id}")


def _acting(operation: Callable[[Context, Organisation], Awaitable[str]]) -> Handler:
    """A form route that calls ``operation`` on the organisation, shows its answer, and goes back to its page."""

    async def route(request: web.Request) -> web.Response:
        await form(request)
        here, found = visit(request), await _organisation(request)
        here.notice(await operation(here.ctx, found))
        return _back(found)

    return route


# Verify the organisation (as ``verify N`` in chat), or withdraw its verification.
routes.post("/organisations/{id}/verify")(_acting(org_ops.verify))
routes.post("/organisations/{id}/unverify")(_acting(org_ops.unverify))


@routes.post("/organisations/{id}/confirm")
async def confirm(request: web.Request) -> web.Response:
    """Confirm one member (``person`` = their number) or every one waiting (``person`` = ``all``)."""
    posted = await form(request)
    here, found = visit(request), await _organisation(request)
    who = field(posted, "person")
    if who.isdigit():
        here.notice(await org_ops.confirm_one(here.ctx, found, int(who)))
    elif who == "all":
        here.notice(await org_ops.confirm_all(here.ctx, found))
    else:
        raise web.HTTPBadRequest(text="person: a number or all")
    return _back(found)
