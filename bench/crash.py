"""Faults in the middle of a 2,000-target broadcast: kill -9 of the worker, PostgreSQL connections terminated,
the SQLite write lock held by another process. Each run counts what reached the platform.

Run: ``.venv/bin/python -m bench.crash [runs]`` (default 20 kills at a random point on SQLite, a quarter as many on
PostgreSQL, then one run of each other fault). Prints lost (target 0) and duplicated (target ≤ the in-flight
window, the claim batch of 100, per kill) for each kind of fault.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from bench._common import PG_ADMIN, bot, enqueue, store
from bench._crash_worker import IN_FLIGHT
from storage.outbox import Target

TARGETS = 2000
EXPECTED = {str(50_000 + i) for i in range(TARGETS)}
LOCK_HELD = 35.0  # seconds: longer than SQLite's busy timeout (30 s), so the worker sees "database is locked"
TERMINATIONS = 3  # times the worker's PostgreSQL connections are cut during one run

Fault = Callable[[str, Path, asyncio.subprocess.Process, random.Random], Awaitable[str]]


async def worker(url: str, sink: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._crash_worker", url, str(sink), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await process.stdout.readline()  # "ready": migrations and imports are done
    return process


def sent(sink: Path) -> Counter[str]:
    """The chat ids the platform received, once per message."""
    return Counter(sink.read_text().split()) if sink.exists() else Counter()


async def one_run(kind: str, fault: Fault, seed: int) -> tuple[int, int, str]:
    """A broadcast on ``kind`` with ``fault`` played once mid-run; returns lost, duplicated and what happened."""
    rng = random.Random(seed)
    async with store(kind) as url:
        app = bot(url)
        await enqueue(app, "appeal:1", [Target("telegram", chat, "en") for chat in sorted(EXPECTED)])
        await app.close()
        with tempfile.TemporaryDirectory() as folder:
            sink = Path(folder) / "sent.log"
            first = await worker(url, sink)
            happened = await fault(url, sink, first, rng)
            if first.returncode is None:
                await first.wait()
            if first.returncode != 0:  # killed: a new process takes over
                second = await worker(url, sink)
                await second.wait()
            counts = sent(sink)
            happened += f", {sum(counts.values()):,} messages"
    lost = len(EXPECTED - set(counts))
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    return lost, duplicated, happened


async def kill_9(_url: str, sink: Path, process: asyncio.subprocess.Process, rng: random.Random) -> str:
    """SIGKILL once the platform has received a random share of the broadcast."""
    if not await reached(sink, rng.randrange(TARGETS // 20, TARGETS * 19 // 20), process):
        return "done before the kill"
    process.send_signal(signal.SIGKILL)
    await process.wait()
    return f"killed with {sum(sent(sink).values()):,} sent"


async def reached(sink: Path, messages: int, process: asyncio.subprocess.Process) -> bool:
    """Wait until the platform has received ``messages``; False when the worker ended first."""
    while sum(sent(sink).values()) < messages:
        if process.returncode is not None:
            return False
        await asyncio.sleep(0.005)
    return True


async def terminate_connections(
    url: str, sink: Path, process: asyncio.subprocess.Process, rng: random.Random
) -> str:
    """``pg_terminate_backend`` on every connection to the broadcast's database, a few times while it runs."""
    database = url.rsplit("/", 1)[1]
    cut = 0
    for step in range(TERMINATIONS):
        if not await reached(sink, int(TARGETS * (step + rng.random()) / (TERMINATIONS + 1)), process):
            break
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            cut += len(
                await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    database,
                )
            )
        finally:
            await admin.close()
    return f"{cut} connections terminated"


async def hold_sqlite_lock(
    url: str, sink: Path, process: asyncio.subprocess.Process, rng: random.Random
) -> str:
    """Another process takes SQLite's write lock (as ``sosbot rotate-key`` or ``purge`` do) and keeps it."""
    await reached(sink, rng.randrange(TARGETS // 10, TARGETS // 2), process)
    path = url.split("///", 1)[1]

    def hold() -> None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        time.sleep(LOCK_HELD)
        holder.execute("ROLLBACK")
        holder.close()

    await asyncio.get_running_loop().run_in_executor(None, hold)
    return f"write lock held {LOCK_HELD:.0f} s"


async def series(title: str, kind: str, fault: Fault, runs: int) -> None:
    print(f"  {title} ({kind}, {runs} run{'s' if runs > 1 else ''}):")
    total_lost = total_dup = worst = 0
    for seed in range(runs):
        lost, duplicated, happened = await one_run(kind, fault, seed)
        total_lost += lost
        total_dup += duplicated
        worst = max(worst, duplicated)
        print(f"    run {seed + 1:2d}: {happened}; lost {lost}, duplicated {duplicated}")
    print(f"    lost {total_lost} (target 0), duplicated {total_dup}, worst run {worst} "
          f"(target ≤ in-flight window {IN_FLIGHT})")  # fmt: skip


async def main(runs: int) -> None:
    print(f"crash: {TARGETS:,} targets per run, a fault in the middle, delivery to the end")
    await series("SIGKILL at a random moment, then restart", "sqlite", kill_9, runs)
    await series("SIGKILL at a random moment, then restart", "postgresql", kill_9, max(1, runs // 4))
    await series(f"connections terminated {TERMINATIONS} times", "postgresql", terminate_connections, 1)
    await series("write lock held by another process", "sqlite", hold_sqlite_lock, 1)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
