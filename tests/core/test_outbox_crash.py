"""A worker killed with SIGKILL mid-broadcast and restarted loses nothing and doubles at most its window."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

from bench._common import bot, enqueue
from bench._crash_worker import IN_FLIGHT
from storage.outbox import Target
from tests.travel import python_m


async def _worker(url: str, sink: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *python_m("bench._crash_worker", url, str(sink)), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await process.stdout.readline()
    return process


async def test_kill_minus_nine_and_restart(sqlite_url: str, tmp_path: Path) -> None:
    app = bot(sqlite_url)
    await enqueue(app, "appeal:1", [Target("telegram", str(70_000 + i), "en") for i in range(2000)])
    await app.close()
    sink = tmp_path / "sent.log"
    first = await _worker(sqlite_url, sink)
    for _ in range(600):  # kill once deliveries have begun (under load the start may take a while)
        if sink.exists() and sink.read_text().split():
            break
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    killed_at = len(sink.read_text().split()) if sink.exists() else 0
    second = await _worker(sqlite_url, sink)
    assert await second.wait() == 0
    counts = Counter(sink.read_text().split())
    assert 0 < killed_at < 2000  # the kill really happened mid-broadcast
    assert set(counts) == {str(70_000 + i) for i in range(2000)}  # nothing lost
    assert sum(n - 1 for n in counts.values()) <= IN_FLIGHT  # at most the in-flight window again
