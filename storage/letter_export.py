"""A letter with its signatories, ready to send: CSV for the secretariat's tools, HTML to print or attach.

Storage renders no words of its own: the HTML's title, headings and country names come translated from
the caller (``handlers.letter_render.export_html`` and ``export_csv``).
"""

from __future__ import annotations

import csv
import html
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.letters import Signatory


@dataclass(frozen=True)
class DocumentLabels:
    """The words of the HTML document, already in its language."""

    language: str
    rtl: bool
    title: str
    addressee: str
    signatories: str
    country: Callable[[str], str] = str  # a stored country as its readers name it


@dataclass(frozen=True)
class TableLabels:
    """The CSV's column headings and how its dates and countries read, already in the export's language."""

    organisation: str
    country: str
    signer: str
    signed_at: str
    date: Callable[[datetime], str] = datetime.isoformat
    country_name: Callable[[str], str] = str


BOM = "\ufeff"  # spreadsheet programs read a CSV as UTF-8 only when it starts with a byte-order mark


def to_csv(signatories: list[Signatory], labels: TableLabels) -> str:
    """One row per signature: organisation, country, signer (where published), signed at; UTF-8 with BOM."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([labels.organisation, labels.country, labels.signer, labels.signed_at])
    for s in signatories:
        country = labels.country_name(s.country) if s.country else ""
        writer.writerow([s.organisation, country, s.signer, labels.date(s.signed_at)])
    return buffer.getvalue()


def to_html(body: str, signatories: list[Signatory], labels: DocumentLabels) -> str:
    """The letter (right-to-left where the language is), addressed, followed by its signatories."""
    rows = "\n".join(
        f"<li>{html.escape(s.organisation or s.signer)}"
        + (f" ({html.escape(labels.country(s.country))})" if s.country else "")
        + (f" — {html.escape(s.signer)}" if s.signer and s.organisation else "")
        + "</li>"
        for s in signatories
    )
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    title = html.escape(labels.title)
    return f"""<!DOCTYPE html>
<html lang="{labels.language}" dir="{"rtl" if labels.rtl else "ltr"}">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p class="addressee">{html.escape(labels.addressee)}</p>
{paragraphs}
<h2>{html.escape(labels.signatories)}</h2>
<ol class="signatories">
{rows}
</ol>
</body>
</html>
"""


def write_private_files(folder: Path, files: dict[str, str]) -> None:
    """Write each ``name: content`` into ``folder`` readable by its owner only (0600): exports name people."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its old mode through O_CREAT
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
