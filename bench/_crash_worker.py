"""A worker process for bench/crash: delivers to a file sink (one line per message) until idle."""

from __future__ import annotations

import asyncio
import os
import sys

from bench._common import NullAdapter, bot
from bot.core.events import OutgoingMessage
from bot.core.outbox import OutboxWorker, WorkerConfig
from bot.core.pacing import UNLIMITED

IN_FLIGHT = 100  # the claim batch: the most a kill can leave sent-but-unrecorded


class FileSink(NullAdapter):
    """Appends the chat id of each message to a file; O_APPEND writes survive a SIGKILL of this process."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    async def send(self, message: OutgoingMessage) -> str:
        await asyncio.sleep(0.01)  # a platform answers in about ten milliseconds
        os.write(self.fd, f"{message.chat.chat_id}\n".encode())
        return await super().send(message)


async def main(url: str, sink: str) -> None:
    app = bot(url)
    config = WorkerConfig(
        batch=IN_FLIGHT, max_in_flight=IN_FLIGHT, lease=1.0, flush_interval=0.02, idle_poll=0.05
    )
    worker = OutboxWorker(
        app.sessions, {"telegram": FileSink(sink)}, limits={"telegram": UNLIMITED}, config=config
    )
    print("ready", flush=True)
    await worker.run_until_idle(timeout=120)
    await app.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
