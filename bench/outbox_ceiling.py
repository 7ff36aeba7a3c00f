"""How many deliveries per second the outbox engine sustains with limits off (target ≥ 1,000/s).

Run: ``.venv/bin/python -m bench.outbox_ceiling [N]``. Prints SQLite, PostgreSQL, and two workers on
PostgreSQL (two processes sharing the queue with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import time

from bench._common import NullAdapter, bot, enqueue, store
from bot.core.outbox import OutboxWorker, WorkerConfig
from bot.core.pacing import UNLIMITED
from storage.outbox import Target

TARGET_RATE = 1000.0
CONFIG = WorkerConfig(batch=500, max_in_flight=1000, flush_interval=0.05, idle_poll=0.02)


def targets(n: int) -> list[Target]:
    return [Target("telegram", str(10_000 + i), "en") for i in range(n)]


async def one_worker(url: str) -> int:
    app = bot(url)
    adapter = NullAdapter()
    worker = OutboxWorker(app.sessions, {"telegram": adapter}, limits={"telegram": UNLIMITED}, config=CONFIG)
    await worker.run_until_idle(timeout=600)
    await app.close()
    return adapter.sent


def _worker_process(url: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put(asyncio.run(one_worker(url)))


async def measure(kind: str, n: int, workers: int = 1) -> tuple[float, int]:
    async with store(kind) as url:
        app = bot(url)
        await enqueue(app, "appeal:1", targets(n))
        await app.close()
        started = time.perf_counter()
        if workers == 1:
            sent = await one_worker(url)
        else:
            queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            processes = [
                multiprocessing.Process(target=_worker_process, args=(url, queue)) for _ in range(workers)
            ]
            for process in processes:
                process.start()
            sent = sum(queue.get() for _ in processes)
            for process in processes:
                process.join()
        return time.perf_counter() - started, sent


async def main(n: int) -> None:
    print(f"outbox ceiling: {n:,} deliveries, limits off, no-op adapter, 2-core machine")
    for kind, workers in (("sqlite", 1), ("postgresql", 1), ("postgresql", 2)):
        elapsed, sent = await measure(kind, n, workers)
        rate = sent / elapsed
        print(
            f"  {kind:<10} {workers} worker{'s' if workers > 1 else ' '}: {rate:8.0f} deliveries/s "
            f"({sent:,} in {elapsed:.2f} s) = {rate / TARGET_RATE:.2f}× the 1,000/s target"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
