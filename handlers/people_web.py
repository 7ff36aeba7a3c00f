"""The dashboard's people: roles, languages and organisations; granting, revoking and approving roles.

The list is the chat's ``people`` listing (people who only reported stay counted, not named); erased people
appear only by their pseudonymous number. Role changes call :mod:`handlers.role_ops`, the operations behind
the chat's ``grant``, ``revoke`` and Approve button, with their rules (two-person approval of the secretariat
role, never removing the last secretariat member) and audit.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.dashboard.links import PREFIX
from bot.dashboard.visit import field, form, found_or_404, redirect, render, visit
from handlers import role_ops
from handlers.labels import ROLE_LABELS, role_label
from handlers.people import membership
from storage.models import Person, Role, Setting

routes = web.RouteTableDef()
PAGE = 500  # people shown at once; the network is a few hundred organisations' people
REQUEST_PREFIX = role_ops.request_key(0).removesuffix("0")
NO_PERSON = "no such person"  # the 404's text for a number that names no one, or someone erased


@routes.get("/people")
async def people(request: web.Request) -> web.Response:
    """Every listed person with role, language, organisation and membership, and the role controls."""
    here = visit(request)
    session = here.store.session
    persons, hidden = await here.store.persons.listing(limit=PAGE)
    requests = {
        int(key.removeprefix(REQUEST_PREFIX)): int(value)
        for key, value in (
            await session.execute(
                select(Setting.key, Setting.value).where(Setting.key.startswith(REQUEST_PREFIX))
            )
        ).all()
        if key.removeprefix(REQUEST_PREFIX).isdigit() and value.isdigit()
    }
    erased = (
        (await session.execute(select(Person.id).where(Person.erased_at.is_not(None)).order_by(Person.id)))
        .scalars()
        .all()
    )
    rows = [
        {
            "person": person,
            "role": role_label(here.t, person.role),
            "language": here.t.language_name(person.language) if person.language else "—",
            "organisation": membership(here.ctx, person),
            "requested_by": requests.get(person.id),
        }
        for person in persons
    ]
    return render(
        request,
        "people_list.html",
        rows=rows,
        hidden=hidden,
        erased=list(erased),
        roles=[(role.value, here.t.gettext(label)) for role, label in ROLE_LABELS.items()],
        me=here.person.id,
    )


async def _person(request: web.Request) -> Person:
    """The person the route names; an erased person is not found either."""
    number = request.match_info["id"]
    found = await visit(request).store.persons.get(int(number)) if number.isdigit() else None
    return found_or_404(found if found is not None and found.erased_at is None else None, NO_PERSON)


BACK = f"{PREFIX}/people"


@routes.post("/people/{id}/grant")
async def grant(request: web.Request) -> web.Response:
    """Give the person the posted role (the secretariat role may wait for a second member's approval)."""
    posted = await form(request)
    here, person = visit(request), await _person(request)
    try:
        role = Role(field(posted, "role"))
    except ValueError:
        raise web.HTTPBadRequest(text="role: secretariat, member or defender") from None
    await role_ops.grant(here.ctx, person, role)
    return redirect(BACK)


@routes.post("/people/{id}/revoke")
async def revoke(request: web.Request) -> web.Response:
    """Take the person's role away; one's own only after a second, explicit confirmation."""
    posted = await form(request)
    here, person = visit(request), await _person(request)
    if person.id == here.person.id and field(posted, "confirm") != "yes":
        if await role_ops.last_secretariat_refused(here.ctx, person):
            return redirect(BACK)
        return render(request, "people_revoke_self.html", role=role_label(here.t, person.role))
    await role_ops.revoke(here.ctx, person)
    return redirect(BACK)


@routes.post("/people/{id}/approve")
async def approve(request: web.Request) -> web.Response:
    """Approve a pending grant of the secretariat role (not one's own request, nor for oneself)."""
    await form(request)
    here = visit(request)
    number = request.match_info["id"]
    person_id = found_or_404(int(number) if number.isdigit() else None, NO_PERSON)
    if not await role_ops.approve(here.ctx, person_id):
        here.notice(here._(role_ops.NO_REQUEST))
    return redirect(BACK)
