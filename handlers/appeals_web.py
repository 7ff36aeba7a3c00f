"""The dashboard's appeal pages: the list, an appeal's texts side by side with what each language's readers
will read, its target and reach, send and approve under the two-person rule, and its delivery page.

Every action calls the chat's own operation with the visit's Context (``appeal_draft.create`` and
``save_text``, ``appeal_send.retarget``, ``send`` and ``approve``, ``appeal_ops.retry_failed``): the rules,
the audit and the outbox are theirs; this module only reads and shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.config import LANGUAGES
from bot.core.codec import to_message
from bot.dashboard.links import PREFIX
from bot.dashboard.visit import Visit, field, form, found_or_404, redirect, render, visit
from handlers import appeal_draft, appeal_ops, appeal_send
from handlers.appeal_common import FINAL_STATES, SENT_STATES, letter_reference, repo, target_of
from handlers.appeal_render import pick_text, status_label
from handlers.appeal_render import render as render_appeal
from handlers.labels import failure_label, group_label, platform_label, region_label, target_label
from handlers.reach import fallback_total, summary
from storage import appeals as appeal_store
from storage import deliveries
from storage.appeals import subject
from storage.models import Appeal, Person
from storage.targeting import REGIONS, WORKING_GROUPS, TargetSpec, parse, recipients

routes = web.RouteTableDef()
REFRESH_SECONDS = 5  # the delivery page reloads itself this often while copies are on their way


def _page(found: Appeal, part: str = "") -> str:
    return f"{PREFIX}/appeals/{found.reference}{part}"


async def _appeal(here: Visit, request: web.Request, *, lock: bool = False) -> Appeal:
    reference = request.match_info["reference"]
    found = await repo(here.ctx).by_reference(reference, lock=lock)
    return found_or_404(found, here._("No appeal has the reference {reference}.", reference=reference))


async def _acting_on(request: web.Request) -> tuple[Visit, Appeal, Mapping[str, Any]]:
    """A form posted about an appeal (CSRF checked first): the visit, the appeal locked for the change, the form."""
    posted = await form(request)
    here = visit(request)
    return here, await _appeal(here, request, lock=True), posted


@routes.get("/appeals")
async def appeal_list(request: web.Request) -> web.Response:
    """Every recent appeal: reference, title, status, languages ready, copies sent and failed, created."""
    here = visit(request)
    rows = await appeal_ops.appeal_rows(here.ctx)
    return render(
        request,
        "appeals_list.html",
        rows=rows,
        status_label=status_label,
        language_codes=LANGUAGES,
        chosen_language=here.t.language,
    )


@routes.post("/appeals")
async def appeal_new(request: web.Request) -> web.Response:
    """A new draft with its first text (the chat's drafting ends in the same operation)."""
    posted = await form(request)
    here = visit(request)
    language = field(posted, "language")
    values = [field(posted, name, appeal_draft.LIMITS[name] + 1) for name in appeal_draft.FIELDS]
    if language not in LANGUAGES or not all(values):
        here.notice(here._("A new appeal needs a language, a title, what happened and what to do."))
        return redirect(f"{PREFIX}/appeals")
    for name, value in zip(appeal_draft.FIELDS, values, strict=True):
        if len(value) > appeal_draft.LIMITS[name]:
            here.notice(here._("Please keep it under {limit} characters (this has {length}).",
                               limit=appeal_draft.LIMITS[name], length=len(value)))  # fmt: skip
            return redirect(f"{PREFIX}/appeals")
    title, what, todo = values
    found = await appeal_draft.create(here.ctx, language, title, what, todo)
    return redirect(_page(found))


def _target_choices(here: Visit) -> list[tuple[str, str]]:
    """Every target the secretariat may choose, as (stored form, label in the reader's language)."""
    choices = [(str(TargetSpec()), target_label(here.t, TargetSpec()))]
    choices += [(f"region:{r}", region_label(here.t, r)) for r in REGIONS]
    choices += [(f"group:{g}", group_label(here.t, g)) for g in WORKING_GROUPS]
    choices += [
        (f"language:{code}", target_label(here.t, TargetSpec("language", code))) for code in LANGUAGES
    ]
    return choices


async def _name(here: Visit, person_id: int | None) -> str:
    person = await here.store.session.get(Person, person_id) if person_id is not None else None
    return (person.display_name or f"#{person.id}") if person is not None else "—"


@routes.get("/appeals/{reference}")
async def appeal_page(request: web.Request) -> web.Response:
    """Texts per language side by side, each language's preview, target and reach, send and approve."""
    here = visit(request)
    found = await _appeal(here, request)
    session = here.store.session
    default = here.ctx.settings.default_language
    texts = await repo(here.ctx).texts(found.id)
    spec = target_of(found)
    found_recipients = await recipients(session, spec, default, texts) if texts else []
    letter = await letter_reference(here.ctx, found)
    previews = []
    for language in sorted({r.target.language for r in found_recipients} | set(texts)):
        previews.append(
            (
                language,
                pick_text(texts, language, default)[1],
                render_appeal(found, texts, language, default, letter=letter),
            )
        )
    pending = await appeal_store.pending_change(session, found.id)
    held = []
    if pending is not None:
        seen: set[str] = set()
        for row in await appeal_store.held_rows(session, found.id):
            if row.language not in seen:
                seen.add(row.language)
                held.append((row.language, to_message(row).text))
    waiting_by = found.created_by if found.status == "awaiting" else pending.requested_by if pending else None
    return render(
        request,
        "appeals_page.html",
        appeal=found,
        status_name=status_label(here.t, found.status),
        texts=texts,
        language_codes=LANGUAGES,
        limits=appeal_draft.LIMITS,
        editable=found.status not in FINAL_STATES,
        sent=found.status in SENT_STATES,
        previews=previews,
        reach=summary(here.t, found.reference, target_label(here.t, spec), found_recipients) if texts else [],
        reaches=len(found_recipients),
        fallback=fallback_total(found_recipients),
        target=str(spec),
        target_choices=_target_choices(here),
        can_target=found.status in ("draft", "awaiting"),
        can_send=found.status == "draft" and bool(texts),
        waiting=waiting_by is not None,
        can_approve=waiting_by is not None and waiting_by != here.person.id,
        held=held,
        author=await _name(here, found.created_by),
        approver=await _name(here, found.approved_by) if found.approved_by else "",
        letter=letter,
    )


@routes.post("/appeals/{reference}/text")
async def appeal_text(request: web.Request) -> web.Response:
    """Save one language's text: ``APPEAL translate`` (or ``update`` once sent) as the chat does it."""
    here, found, posted = await _acting_on(request)
    language = field(posted, "language")
    if language in LANGUAGES:
        # One more than the limit, so the operation sees the text is too long and says so.
        values = [field(posted, name, appeal_draft.LIMITS[name] + 1) for name in appeal_draft.FIELDS]
        await appeal_draft.save_text(here.ctx, found, language, *values)
    return redirect(_page(found) + f"#text-{language}")


@routes.post("/appeals/{reference}/target")
async def appeal_target(request: web.Request) -> web.Response:
    """Choose who the appeal goes to (``APPEAL target``)."""
    here, found, posted = await _acting_on(request)
    spec = parse(field(posted, "target"))
    if spec is None:
        here.notice(here._("Unknown target. Type all, a region, a working group or a language."))
    else:
        await appeal_send.retarget(here.ctx, found, spec)
    return redirect(_page(found))


@routes.post("/appeals/{reference}/send")
async def appeal_send_route(request: web.Request) -> web.Response:
    """``APPEAL send``: out at once, or waiting for a second member under the two-person rule."""
    here, found, posted = await _acting_on(request)
    await appeal_send.send(here.ctx, found, [], confirmed=field(posted, "confirmed") == "yes")
    return redirect(_page(found))


@routes.post("/appeals/{reference}/approve")
async def appeal_approve(request: web.Request) -> web.Response:
    """``APPEAL approve``: a second secretariat member lets the appeal (or its waiting change) go out."""
    here, found, _posted = await _acting_on(request)
    await appeal_send.approve(here.ctx, found, [])
    return redirect(_page(found, "/delivery") if found.status in SENT_STATES else _page(found))


@routes.get("/appeals/{reference}/delivery")
async def appeal_delivery(request: web.Request) -> web.Response:
    """Copies per platform, language and status, failures per recipient, "I acted"; live while copies go."""
    here = visit(request)
    found = await _appeal(here, request)
    session = here.store.session
    counts = await deliveries.status(session, subject(found.id))
    edits = await deliveries.status(session, subject(found.id), operation="edit")
    followups = await deliveries.status(session, f"{subject(found.id)}:followup")
    outstanding = counts.by_status["pending"] + edits.by_status["pending"] + followups.by_status["pending"]
    failures = await appeal_ops.failed_copies(here.ctx, found)
    return render(
        request,
        "appeals_delivery.html",
        appeal=found,
        status_name=status_label(here.t, found.status),
        counts=counts,
        edits=edits,
        followups=followups,
        platforms=sorted(counts.by_platform.items()),
        languages_counted=sorted(counts.by_language.items()),
        failures=failures,
        reasons=[(failure_label(here.t, kind), n) for kind, n in counts.failures.most_common()],
        acted=await repo(here.ctx).acted_count(found.id),
        refresh=REFRESH_SECONDS if outstanding else 0,
        platform_label=platform_label,
        failure_label=failure_label,
    )


@routes.post("/appeals/{reference}/retry")
async def appeal_retry(request: web.Request) -> web.Response:
    """Send the failed copies again, through the outbox."""
    here, found, _posted = await _acting_on(request)
    await appeal_ops.retry_failed(here.ctx, found)
    return redirect(_page(found, "/delivery"))
