"""Tests pass on any date: none spells a year, and CI runs them again with the clock moved."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.clock import YEAR

TESTS = Path(__file__).resolve().parents[1]
YEAR_LITERAL = re.compile(r"(?<![\w\\.])20[2-9]\d(?!\d)")  # not \u2068, not ids such as 2001


def test_no_test_spells_a_year() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if YEAR_LITERAL.search(line.split("#", 1)[0].replace("YYYY", ""))
    ]
    assert found == []


def test_the_year_follows_the_clock(request: pytest.FixtureRequest) -> None:
    clock = request.config.getoption("--clock")
    now = datetime.now(UTC)
    assert YEAR == now.year
    if clock:
        assert now.date() >= datetime.fromisoformat(clock).date()
        assert (now - datetime.fromisoformat(clock).replace(tzinfo=UTC)).days < 1


async def test_the_moved_clock_ticks_inside_the_event_loop() -> None:
    import asyncio

    before = datetime.now(UTC)
    await asyncio.sleep(0.01)
    assert datetime.now(UTC) > before
