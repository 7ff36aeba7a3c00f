"""The year references carry, read from the clock: tests never spell a year.

CI runs the suite a second time with the clock moved (``SOS_TEST_CLOCK``, see ``conftest.py``);
the travel starts before test modules are imported, so ``YEAR`` follows it.
"""

from __future__ import annotations

from datetime import UTC, datetime

YEAR = datetime.now(UTC).year
FUTURE = YEAR + 4  # a year safely ahead, for deadlines that must not have passed
PAST = YEAR - 6  # a year safely behind, for dates that must have passed
