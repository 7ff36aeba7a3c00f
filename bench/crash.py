"""Kill -9 the outbox worker at a random moment of a 2,000-target broadcast, restart it, count.

Run: ``.venv/bin/python -m bench.crash [runs]`` (default 20). Prints lost (target 0) and duplicated
(target ≤ the in-flight window, the claim batch of 100, per run) over all runs.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench._common import bot, enqueue, store
from bench._crash_worker import IN_FLIGHT
from storage.outbox import Target

TARGETS = 2000


async def worker(url: str, sink: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._crash_worker", url, str(sink), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await process.stdout.readline()  # "ready": migrations and imports are done
    return process


async def one_run(seed: int) -> tuple[int, int, float, int]:
    rng = random.Random(seed)
    async with store("sqlite") as url:
        app = bot(url)
        await enqueue(app, "appeal:1", [Target("telegram", str(50_000 + i), "en") for i in range(TARGETS)])
        await app.close()
        with tempfile.TemporaryDirectory() as folder:
            sink = Path(folder) / "sent.log"
            first = await worker(url, sink)
            kill_after = rng.uniform(0.05, 0.6)
            await asyncio.sleep(kill_after)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            before_kill = len(sink.read_text().split()) if sink.exists() else 0
            second = await worker(url, sink)
            await second.wait()
            counts = Counter(sink.read_text().split())
    expected = {str(50_000 + i) for i in range(TARGETS)}
    lost = len(expected - set(counts))
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    return lost, duplicated, kill_after, before_kill


async def main(runs: int) -> None:
    print(f"crash: {runs} runs, {TARGETS:,} targets each, SIGKILL at a random moment, then restart")
    total_lost = total_dup = worst = 0
    for seed in range(runs):
        lost, duplicated, at, before_kill = await one_run(seed)
        total_lost += lost
        total_dup += duplicated
        worst = max(worst, duplicated)
        print(
            f"  run {seed + 1:2d}: killed after {at:.2f} s with {before_kill:,}/{TARGETS:,} sent, "
            f"lost {lost}, duplicated {duplicated}"
        )
    print(f"  over all runs: lost {total_lost} (target 0), duplicated {total_dup}, "
          f"worst run {worst} (target ≤ in-flight window {IN_FLIGHT})")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
