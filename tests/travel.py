"""Subprocesses started by tests share the tests' moved clock (see ``SOS_TEST_CLOCK`` in ``conftest.py``).

``python_m("bot", ...)`` is ``[python, "-m", "bot", ...]``; when the clock is moved it becomes
``[python, "<path of this file>", <now>, "bot", ...]``, which travels to the parent's present (ticking)
before running the module, so rows a test wrote "now" are due in the worker too.
"""

from __future__ import annotations

import runpy
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

MOVED = False  # set by conftest.py when the clock is moved


def python_m(module: str, *args: str) -> list[str]:
    """The command line running ``module`` as ``python -m`` on the same clock as the tests."""
    if not MOVED:
        return [sys.executable, "-m", module, *args]
    import time_machine

    # The moved present and the real time it was read at: the child adds the real seconds its own start
    # took, so rows this process writes "now" are due in the child too (not its start-up's seconds ahead).
    # By path, not ``-m tests.travel``: subprocesses often run in a temporary folder, where ``tests`` is no package.
    moment = f"{datetime.now(UTC).isoformat()}@{time_machine.escape_hatch.time.time()}"
    return [sys.executable, str(Path(__file__).resolve()), moment, module, *args]


def main() -> None:
    """``python -m tests.travel MOMENT[@REAL] MODULE ARGS...``: run MODULE with the clock at MOMENT, ticking.

    REAL is the real time MOMENT was read at; the seconds since then are added.
    """
    import time_machine

    moment, module, *args = sys.argv[1:]
    # Run as a script, this file's folder (tests/, with its own ``handlers`` package) heads sys.path: put the
    # project there instead, as ``python -m`` from the project would.
    sys.path[0] = str(Path(__file__).resolve().parents[1])
    sys.argv = [module, *args]
    when, _, read_at = moment.partition("@")
    start = datetime.fromisoformat(when) + timedelta(seconds=time.time() - float(read_at or time.time()))
    with time_machine.travel(start, tick=True):
        datetime.now(
            UTC
        )  # the clock ticks from its first reading: read it now, not at the module's first use
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
