"""Charts drawn on the server as inline SVG (no script): stacked bars, bars and lines, from figures to markup.

Pure functions: the caller passes every word already translated and a ``number`` formatter for the reader's
locale; every text is escaped here. Each chart is ``role="img"`` named by its title, with a ``<desc>``
carrying the figures, so a screen reader gets them without the picture (pages add a table as well).
Colours are presentation attributes, not ``style``: the dashboard's Content-Security-Policy forbids inline
styles.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 44  # room for the value axis and the category labels
PALETTE = ("#a4161a", "#1f5f8b", "#2b7a3d", "#b86e00", "#6a3d9a", "#00796b", "#5b6575", "#c2185b", "#455a64")

Number = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category (bars) or one per point (lines)."""

    label: str
    values: Sequence[float]


@dataclass(frozen=True)
class Line:
    """One named curve: (x, y) points with x in any unit the caller chose (e.g. seconds)."""

    label: str
    points: Sequence[tuple[float, float]]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _scale(top: float) -> float:
    """A round upper bound for the value axis (1, 2, 4, 6 or 8 × 10ⁿ), at least 1: its half is a whole
    number from 2 up, so counts never get a tick such as 0.5."""
    if top <= 1:
        return 1.0
    magnitude = 10 ** (len(str(int(top))) - 1)
    for step in (1, 2, 4, 6, 8, 10):
        if top <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _frame(title: str, desc: str, body: list[str], legend: Sequence[str]) -> str:
    """The <svg> around ``body``, with its accessible name, description and legend."""
    rows = (len(legend) + 2) // 3
    height = HEIGHT + rows * 18
    keys = []
    for i, label in enumerate(legend):
        x = LEFT + (i % 3) * 200
        y = HEIGHT + 6 + (i // 3) * 18
        colour = PALETTE[i % len(PALETTE)]
        keys.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + 9}" font-size="11">{_e(label)}</text>'
        )
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{_e(title)}" direction="ltr">'
        f"<title>{_e(title)}</title><desc>{_e(desc)}</desc>" + "".join(body) + "".join(keys) + "</svg>"
    )


def _value_axis(top: float, number: Number) -> list[str]:
    """Horizontal grid lines at 0, the middle (from 2 up) and the top, labelled."""
    parts = []
    for share in (0.0, 0.5, 1.0) if top >= 2 else (0.0, 1.0):
        y = HEIGHT - BOTTOM - share * (HEIGHT - BOTTOM - TOP)
        parts.append(
            f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dde5"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_e(number(top * share))}</text>'
        )
    return parts


def _category_labels(categories: Sequence[str], slot: float) -> list[str]:
    every = max(
        1, -(-len(categories) * 60 // (WIDTH - LEFT - RIGHT))
    )  # thin the labels when they would touch
    return [
        f'<text x="{LEFT + (i + 0.5) * slot:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
        f'font-size="11">{_e(label)}</text>'
        for i, label in enumerate(categories)
        if i % every == 0
    ]


def describe(categories: Sequence[str], series: Sequence[Series], number: Number = _fmt) -> str:
    """The figures as one sentence per category ("3 Nov: Detention 2, Killing 1"), for the <desc>."""
    parts = []
    for i, category in enumerate(categories):
        values = ", ".join(f"{s.label} {number(s.values[i])}" for s in series if s.values[i])
        parts.append(f"{category}: {values or number(0)}")
    return "; ".join(parts)


def stacked_bars(
    title: str, categories: Sequence[str], series: Sequence[Series], number: Number = _fmt
) -> str:
    """One bar per category, its series stacked in the palette's order, with a legend when there are several."""
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top = _scale(max(totals, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(categories))
    scale = (HEIGHT - BOTTOM - TOP) / top
    body = _value_axis(top, number)
    for i in range(len(categories)):
        base = float(HEIGHT - BOTTOM)
        for j, s in enumerate(series):
            size = s.values[i] * scale
            if size <= 0:
                continue
            base -= size
            body.append(
                f'<rect x="{LEFT + i * slot + slot * 0.15:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{size:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{_e(categories[i])}: {_e(s.label)} {_e(number(s.values[i]))}</title></rect>"
            )
    body += _category_labels(categories, slot)
    legend = [s.label for s in series] if len(series) > 1 else []
    return _frame(title, describe(categories, series, number), body, legend)


def bars(
    title: str, categories: Sequence[str], values: Sequence[float], label: str, number: Number = _fmt
) -> str:
    """One bar per category (a single series named ``label``)."""
    return stacked_bars(title, categories, [Series(label, values)], number)


def lines(
    title: str,
    curves: Sequence[Line],
    x_range: tuple[float, float],
    x_labels: Sequence[tuple[float, str]],
    number: Number = _fmt,
) -> str:
    """Step curves (a count that rises at each point, e.g. signatures over time) over ``x_range``."""
    start, end = x_range
    span = (end - start) or 1.0
    top = _scale(max((y for c in curves for _, y in c.points), default=0))
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP

    def at(x: float, y: float) -> str:
        return f"{LEFT + (x - start) / span * width:.1f},{HEIGHT - BOTTOM - y / top * height:.1f}"

    body = _value_axis(top, number)
    for x, label in x_labels:
        share = (x - start) / span
        anchor = "start" if share < 0.1 else "end" if share > 0.9 else "middle"  # the edges stay inside
        body.append(
            f'<text x="{LEFT + share * width:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="{anchor}" font-size="11">{_e(label)}</text>'
        )
    for i, curve in enumerate(curves):
        points = [at(start, 0)]
        last = 0.0
        for x, y in sorted(curve.points):
            points += [at(x, last), at(x, y)]
            last = y
        points.append(at(end, last))
        body.append(
            f'<polyline fill="none" stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="2" '
            f'points="{" ".join(points)}"><title>{_e(curve.label)}: {_e(number(last))}</title></polyline>'
        )
    desc = "; ".join(f"{c.label}: {number(max((y for _, y in c.points), default=0))}" for c in curves)
    return _frame(title, desc, body, [c.label for c in curves])
