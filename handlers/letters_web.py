"""The dashboard's letters: the list, a letter's page (texts, deadline and countdown, signatories, live count)
and its CSV and HTML exports.

The signatories come from :meth:`storage.letters.LetterRepository.signatories`, which publishes a signer's
name only where they consented (the same list the chat's ``LETTER status`` and the export show), and the
downloads are made and audited by :func:`handlers.letter_status.prepare_export`, as ``LETTER export`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from aiohttp import web
from babel.dates import format_timedelta
from sqlalchemy import func, select

from bot.core.i18n import Translator
from bot.dashboard.links import PREFIX
from bot.dashboard.visit import found_or_404, redirect, render, visit
from handlers.letter_common import is_open
from handlers.letter_render import country_name, language_name, status_label
from handlers.letter_status import prepare_export
from storage.letters import LetterRepository
from storage.models import Letter, Signature, utcnow

routes = web.RouteTableDef()

REFRESH_SECONDS = 30  # an open letter's page reloads itself so its count stays live while people sign


@dataclass(frozen=True)
class LetterRow:
    """One line of the list."""

    reference: str
    addressee: str
    status: str
    deadline: str
    signatures: int


def countdown(t: Translator, deadline: datetime, now: datetime) -> str:
    """How long until ``deadline`` ("in 3 days", "2 hours ago"), in ``t``'s language."""
    return str(format_timedelta(deadline - now, granularity="minute", add_direction=True, locale=t.locale))


@routes.get("/letters")
async def letters(request: web.Request) -> web.Response:
    """Every letter, newest first, with its status and how many signed."""
    here = visit(request)
    session = here.store.session
    counts = {
        letter_id: int(n)
        for letter_id, n in await session.execute(
            select(Signature.letter_id, func.count(Signature.id)).group_by(Signature.letter_id)
        )
    }
    found = (await session.execute(select(Letter).order_by(Letter.id.desc()))).scalars().all()
    rows = [
        LetterRow(
            letter.reference,
            letter.addressee,
            status_label(here.t, letter.status),
            here.t.format_datetime(letter.deadline, "medium") if letter.deadline else "—",
            int(counts.get(letter.id, 0)),
        )
        for letter in found
    ]
    return render(request, "letters_list.html", rows=rows)


async def _letter(request: web.Request) -> Letter:
    found = await LetterRepository(visit(request).store.session).by_reference(request.match_info["reference"])
    return found_or_404(found, "no such letter")


@routes.get("/letters/{reference}")
async def letter(request: web.Request) -> web.Response:
    """One letter: texts per language, deadline and countdown, signatories, count, downloads."""
    here = visit(request)
    found = await _letter(request)
    repository = LetterRepository(here.store.session)
    texts = await repository.texts(found.id)
    signatories = await repository.signatories(found.id)
    language = here.t.language
    return render(
        request,
        "letters_page.html",
        letter=found,
        state=status_label(here.t, found.status),
        texts=[(code, language_name(language, code), body) for code, body in texts.items()],
        deadline=here.t.format_datetime(found.deadline, "full") if found.deadline else "",
        countdown=countdown(here.t, found.deadline, utcnow()) if found.deadline else "",
        signatories=[
            (s.organisation, country_name(language, s.country) if s.country else "—", s.signer, s.signed_at)
            for s in signatories
        ],
        count=len(signatories),
        export_languages=[(code, here.t.language_name(code)) for code in texts],
        refresh=REFRESH_SECONDS if is_open(found) else 0,
    )


async def _download(request: web.Request, kind: str) -> web.Response:
    """One of the export's files, made (and audited) by the same operation as ``LETTER export``."""
    here = visit(request)
    found = await _letter(request)
    made = await prepare_export(here.ctx, found, request.query.get("language", "").strip()[:40])
    if made is None:  # no text, or a language the bot does not speak: the reason shows on the letter's page
        return redirect(f"{PREFIX}/letters/{quote(found.reference)}")
    file = next(f for f in made.files if f.filename.endswith(f".{kind}"))
    filename = f"{found.reference}-{made.language}.{kind}"
    return web.Response(
        body=file.content,
        headers={
            "Content-Type": f"{file.mime}; charset=utf-8",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        },
    )


@routes.get("/letters/{reference}/export.csv")
async def export_csv(request: web.Request) -> web.Response:
    """The signatories as CSV, in the ``language`` asked (else the letter's first)."""
    return await _download(request, "csv")


@routes.get("/letters/{reference}/export.html")
async def export_html(request: web.Request) -> web.Response:
    """The letter with its signatories as an HTML document, in the ``language`` asked."""
    return await _download(request, "html")
