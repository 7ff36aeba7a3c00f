"""A letter with its signatories, ready to send: CSV for the secretariat's tools, HTML to print or attach."""

from __future__ import annotations

import csv
import html
import io

from bot.core.i18n import Translator
from storage.letters import Signatory
from storage.models import Letter


def to_csv(signatories: list[Signatory]) -> str:
    """One row per signature: organisation, country, signer (where published), signed at (UTC, ISO 8601)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["organisation", "country", "signer", "signed_at"])
    for s in signatories:
        writer.writerow([s.organisation, s.country, s.signer, s.signed_at.isoformat()])
    return buffer.getvalue()


def to_html(letter: Letter, body: str, language: str, signatories: list[Signatory]) -> str:
    """The letter in ``language`` (right-to-left for Arabic), dated, addressed, followed by its signatories."""
    t = Translator(language)
    direction = "rtl" if t.rtl else "ltr"
    rows = "\n".join(
        f"<li>{html.escape(s.organisation or s.signer)}"
        + (f" ({html.escape(s.country)})" if s.country else "")
        + (f" — {html.escape(s.signer)}" if s.signer and s.organisation else "")
        + "</li>"
        for s in signatories
    )
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    title = html.escape(t.gettext("Collective letter {reference}", reference=letter.reference))
    addressee = html.escape(t.gettext("To: {addressee}", addressee=letter.addressee))
    heading = html.escape(t.ngettext("{n} signatory", "{n} signatories", len(signatories)))
    return f"""<!DOCTYPE html>
<html lang="{language}" dir="{direction}">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p class="addressee">{addressee}</p>
{paragraphs}
<h2>{heading}</h2>
<ol class="signatories">
{rows}
</ol>
</body>
</html>
"""
