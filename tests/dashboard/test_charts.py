"""Server-drawn charts: well-formed SVG, named and described for screen readers, every text escaped, bars
and curves where the figures put them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.dashboard.charts import HEIGHT, Line, Series, bars, describe, lines, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_stacked_bars_are_named_described_and_stacked() -> None:
    svg = stacked_bars(
        "Cases per week",
        ["3 Nov", "10 Nov"],
        [Series("Detention", [2, 0]), Series("Killing", [1, 4])],
    )
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Cases per week"
    assert root.findtext(f"{SVG}title") == "Cases per week"
    assert root.findtext(f"{SVG}desc") == "3 Nov: Detention 2, Killing 1; 10 Nov: Killing 4"
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.findtext(f"{SVG}title") for r in rects] == [
        "3 Nov: Detention 2",
        "3 Nov: Killing 1",
        "10 Nov: Killing 4",
    ]  # no bar for a zero
    first, on_top, tallest = (float(r.get("height", "0")) for r in rects)
    assert first == 2 * on_top and tallest == 4 * on_top  # heights follow the figures on one scale
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "Detention" in legend and "Killing" in legend


def test_every_text_is_escaped() -> None:
    svg = bars('<script>"x"</script>', ["<b>&"], [3], "a & b")
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)  # still well-formed
    assert root.get("aria-label") == '<script>"x"</script>'
    assert "<b>&" in [t.text for t in root.iter(f"{SVG}text")]


def test_numbers_are_written_the_readers_way() -> None:
    arabic = dict(zip("0123456789", "٠١٢٣٤٥٦٧٨٩", strict=True))
    svg = bars("t", ["a"], [1234], "n", number=lambda n: "".join(arabic.get(c, c) for c in f"{n:g}"))
    assert "١٢٣٤" in parse(svg).findtext(f"{SVG}desc", "")


def test_no_figures_draws_an_empty_chart() -> None:
    root = parse(bars("Empty", ["a", "b"], [0, 0], "n"))
    assert not [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert root.findtext(f"{SVG}desc") == "a: 0; b: 0"


def test_lines_climb_in_steps_to_each_count() -> None:
    svg = lines("Signatures", [Line("CL-1", [(10, 1), (20, 2)]), Line("CL-2", [])], (0, 40), [(0, "start")])
    root = parse(svg)
    first, empty = root.iter(f"{SVG}polyline")
    points = [tuple(float(v) for v in p.split(",")) for p in first.get("points", "").split()]
    ys = [y for _, y in points]
    assert ys[0] == ys[1] > ys[2] == ys[3] > ys[4] == ys[5]  # flat, up one, flat, up one, flat to the end
    assert points[-1][0] > points[-2][0]
    assert {y for _, y in (tuple(p.split(",")) for p in empty.get("points", "").split())} == {
        str(float(ys[0]))
    }  # a letter nobody signed lies flat at zero
    assert root.findtext(f"{SVG}desc") == "CL-1: 2; CL-2: 0"
    assert float(ys[0]) < HEIGHT


def test_describe_skips_zero_values() -> None:
    assert describe(["x"], [Series("a", [0]), Series("b", [5])]) == "x: b 5"


def test_the_value_axis_counts_in_whole_numbers() -> None:
    def ticks(top: float) -> list[str]:
        root = parse(bars("t", ["a"], [top], "n"))
        return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]

    assert ticks(1) == ["0", "1"]
    assert ticks(3) == ["0", "2", "4"]
    assert ticks(7) == ["0", "4", "8"]
    assert ticks(45) == ["0", "30", "60"]
