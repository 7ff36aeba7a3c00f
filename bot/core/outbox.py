"""The outbox worker: delivers queued rows through the adapters, paced, retried, and never lost.

Rows are claimed with a lease in short transactions, sent concurrently at the times the pacer hands out,
and their outcomes written back in batches. A kill at any moment loses nothing: leased rows whose lease
expires are claimed again, so a row in flight when the process died is sent at most once more.

The worker outlives its store: a failed claim or flush (connection terminated, database locked) is logged
by kind, waited out with a capped backoff, and tried again; outcomes that could not be written stay in
memory and are written first when the store answers again. A row that cannot be decoded is set aside as
failed with its reason. Urgent rows never give up on a transient failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import metrics
from bot.core.codec import to_edit, to_erasure, to_message
from bot.core.delivery import DeliveryError, FailureKind, PlatformAdapter, erase_messages
from bot.core.events import OutgoingMessage
from bot.core.pacing import DEFAULT_LIMITS, Limits, Pacer
from bot.core.supervise import Backoff, Heartbeat, pause, supervise
from storage import deliveries, edits
from storage.models import Delivery, utcnow
from storage.outbox import DELETE, ERASE, NORMAL, URGENT

CHANGES = (edits.EDIT, DELETE)  # operations on a copy already delivered

log = logging.getLogger(__name__)
TargetLost = Callable[[Delivery, FailureKind], Awaitable[None]]
Progress = Callable[[set[str]], Awaitable[None]]
# A subject's live text in a language, encoded, rendered now by its feature (None: none, or nothing to show).
LiveText = Callable[[str, str], Awaitable[str | None]]
WINDOW_TEXTS = 1_000  # coalescing windows' texts kept at most (a window's text is read once, not per copy)


class Gate(Protocol):
    """Which platforms this worker may claim now (e.g. :class:`bot.core.locks.PlatformOwnership`)."""

    refresh: float  # seconds between two looks: an idle worker that lacks a platform looks this often

    @property
    def complete(self) -> bool:
        """Whether every platform the worker serves is its own (nothing to look for while idle)."""
        ...

    async def owned(self) -> tuple[str, ...]:
        """The platforms whose rows may be claimed now."""
        ...


class Wake(Protocol):
    """Ends an idle wait early when rows were queued (e.g. :class:`bot.core.notify.Listener`)."""

    async def wait(self, stop: asyncio.Event, timeout: float) -> None:
        """Wait for queued rows, ``stop``, or ``timeout`` seconds, whichever comes first."""
        ...


@dataclass(frozen=True)
class WorkerConfig:
    """Tuning of one worker; times are seconds, multiplied by ``time_scale`` (except the lease)."""

    batch: int = 100
    max_in_flight: int = 200
    lease: float = 60.0
    max_attempts: int = 8  # for rows that are not urgent; urgent rows retry until delivered
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    urgent_backoff_cap: float = 30.0  # an urgent row is tried at least this often during an outage
    store_backoff_base: float = 0.5  # waits after a failed claim or flush: the store resumes within seconds
    store_backoff_cap: float = 5.0
    slowdown_period: float = 5.0  # after a 429 the rate recovers within seconds
    idle_poll: float = 0.25
    flush_interval: float = 0.05
    time_scale: float = 1.0


@dataclass
class _Pending:
    results: deliveries.Results = field(default_factory=deliveries.Results)
    lost: list[tuple[Delivery, FailureKind]] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.results) or bool(self.lost)

    def absorb(self, later: _Pending) -> None:
        """Append outcomes collected after these (these could not be written yet)."""
        self.results.sent.extend(later.results.sent)
        self.results.retry.extend(later.results.retry)
        self.results.failed.extend(later.results.failed)
        self.results.moved.extend(later.results.moved)
        self.lost.extend(later.lost)
        self.subjects |= later.subjects


class OutboxWorker:
    """Claims and delivers outbox rows until stopped."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, PlatformAdapter],
        *,
        limits: Mapping[str, Limits] | None = None,
        config: WorkerConfig | None = None,
        on_target_lost: TargetLost | None = None,
        on_progress: Progress | None = None,
        live_text: LiveText | None = None,
        pacer: Pacer | None = None,
        heartbeat: Heartbeat | None = None,
        platforms: Collection[str] | None = None,
        chats: Collection[str] | None = None,
        gate: Gate | None = None,
        wake: Wake | None = None,
        crowded: Callable[[], bool] | None = None,
    ) -> None:
        self.sessions = sessions
        self.adapters = dict(adapters)
        # Which rows this worker claims (all when None): the main process serves Telegram and Slack, each
        # console process its own person's chat, so no worker fails rows another one delivers.
        self.platforms = None if platforms is None else tuple(platforms)
        self.chats = None if chats is None else tuple(chats)
        self.config = config or WorkerConfig()
        scale = self.config.time_scale
        base = DEFAULT_LIMITS if limits is None else limits
        # The process's pacer when given: direct replies and the worker then draw on one budget per platform.
        self.pacer = pacer or Pacer({platform: lim.scaled(scale) for platform, lim in base.items()})
        self.on_target_lost = on_target_lost
        self.on_progress = on_progress  # told which subjects moved, e.g. to refresh a live status message
        self.live_text = live_text  # renders live windows' texts (a letter's count) when their edits leave
        self._pending = _Pending()
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._flush_now = asyncio.Event()
        self._texts: dict[tuple[str, str, int], str | None] = {}  # coalescing windows' texts, once final
        self.delivered = 0
        self.heartbeat = heartbeat or Heartbeat()  # beaten after every successful claim round
        # Several processes on PostgreSQL: claim only the platforms this process owns now, and wake on NOTIFY.
        self.gate = gate
        self.wake = wake
        # True while people's events queue for their turn: routine rows (live counts, coalesced and superseded
        # by the next window anyway) wait, so the process answers people first.
        self.crowded = crowded

    # Loop --------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, then finish what is in flight.

        A store error never ends the loop: it is logged by kind and the claim is tried again after a
        capped backoff, so delivery resumes within seconds of the store coming back.
        """
        flusher = asyncio.create_task(
            supervise("outbox flush", lambda: self._flush_loop(stop), stop, backoff=self._store_backoff())
        )
        errors = self._store_backoff()
        self.heartbeat.running = True
        try:
            while not stop.is_set():
                try:
                    if self._pending.results:
                        await self.flush()  # outcomes kept during an outage go first: their leases run out
                    claimed = await self.drain_once()
                except Exception as error:
                    wait = errors.next()
                    log.error("outbox claim failed (%s); trying again in %.2f s", type(error).__name__, wait)
                    await pause(stop, wait)
                    continue
                errors.reset()
                self.heartbeat.beat()
                if not claimed:
                    await self._idle(stop)
        finally:
            self.heartbeat.running = False
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if stop.is_set():
                # Let the flusher finish the write it may be in: cancelling it mid-transaction would leave a
                # connection to be rolled back by the garbage collector (a traceback as the process quits).
                self._flush_now.set()
            else:  # run() itself failed or was cancelled
                flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            try:
                await self.flush()
            except Exception as error:  # the rows stay leased and go again once their lease runs out
                log.error("outbox final flush failed (%s)", type(error).__name__)

    async def _idle(self, stop: asyncio.Event) -> None:
        """Nothing to claim: wait for a notification (when listening) or the poll, or ``stop``."""
        wait = self.config.idle_poll * self.config.time_scale
        if self.gate is not None and not self.gate.complete:
            wait = min(wait, self.gate.refresh)  # a platform may be free to take over
        if self.wake is None:
            await pause(stop, wait)
        else:
            await self.wake.wait(stop, wait)

    def _store_backoff(self) -> Backoff:
        scale = self.config.time_scale
        return Backoff(self.config.store_backoff_base * scale, self.config.store_backoff_cap * scale)

    async def run_until_idle(self, timeout: float = 30.0) -> int:
        """Deliver until no row is pending or leased (tests and benchmarks); returns rows delivered."""
        stop = asyncio.Event()
        runner = asyncio.create_task(self.run(stop))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while loop.time() < deadline:
                await asyncio.sleep(self.config.idle_poll * self.config.time_scale)
                if not self._tasks and not self._pending and await self._idle_store():
                    break
            else:
                raise TimeoutError("outbox still has undelivered rows")
        finally:
            stop.set()
            await runner
        return self.delivered

    async def drain_once(self) -> int:
        """Claim one batch (if there is room in flight) and schedule its deliveries; returns rows claimed."""
        room = self.config.max_in_flight - self._in_flight
        if room <= 0:
            await asyncio.sleep(self.config.flush_interval * self.config.time_scale)
            return 0
        platforms = self.platforms
        if self.gate is not None:
            platforms = await self.gate.owned()
            if not platforms:
                return 0
        # Not scaled: the lease must outlast a row's real time in flight, whatever the pacing scale.
        lease = timedelta(seconds=self.config.lease)
        async with self.sessions() as session, session.begin():
            rows = await deliveries.claim(
                session,
                min(room, self.config.batch),
                lease,
                platforms=platforms,
                chats=self.chats,
                most_routine=NORMAL if self.crowded is not None and self.crowded() else None,
            )
            # One query for the copies a batch of edits applies to, instead of one per edit when it leaves.
            copies = await deliveries.delivered_copies(session, [r for r in rows if r.operation in CHANGES])
        loop = asyncio.get_running_loop()
        now = loop.time()
        for row in rows:
            at = self.pacer.reserve(row.platform, row.chat_id, now)
            self._in_flight += 1
            task = asyncio.create_task(self._deliver(row, at, copies.get(row.id)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def _idle_store(self) -> bool:
        try:
            return await self._outstanding() == 0
        except Exception:  # the store is down: the worker is not idle, it is waiting for it
            return False

    async def _outstanding(self) -> int:
        async with self.sessions() as session:
            result = await session.execute(
                select(func.count(Delivery.id)).where(
                    Delivery.status.in_([deliveries.PENDING, deliveries.LEASED]),
                    *deliveries.served(self.platforms, self.chats),
                )
            )
            return int(result.scalar_one())

    # One delivery ------------------------------------------------------------------------------------

    async def _deliver(self, row: Delivery, at: float, copy: Delivery | None = None) -> None:
        loop = asyncio.get_running_loop()
        try:
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            adapter = self.adapters.get(row.platform)
            if adapter is None:
                self._fail(row, "rejected: platform not configured")
                return
            try:
                erasure = to_erasure(row) if row.operation == ERASE else None
                message = to_message(row) if erasure is None else None
            except Exception as error:  # a bad payload never goes better: set it aside, say why
                log.error("delivery %s undecodable: %s", row.id, type(error).__name__)
                self._fail(row, f"undecodable: {type(error).__name__}")
                return
            async with self.pacer.sending(row.platform, row.priority):
                if erasure is not None:
                    await erase_messages(adapter, *erasure)
                    message_id: str | None = ""
                else:
                    assert message is not None
                    message_id = await self._perform(adapter, row, message, copy)
            if message_id is not None:
                self._pending.results.sent.append((row.id, message_id))
                metrics.labelled(metrics.OUTBOX_OUTCOMES, row.platform, "sent").inc()
                self.delivered += 1
        except DeliveryError as error:
            self._failed(row, error, loop.time())
        except Exception as error:  # an adapter bug must not kill the worker; retry like a transient error
            log.error("delivery %s crashed: %s", row.id, type(error).__name__)
            self._failed(row, DeliveryError(FailureKind.TRANSIENT, type(error).__name__), loop.time())
        finally:
            self._pending.subjects.add(row.subject)
            self._in_flight -= 1
            if self._in_flight == 0:
                self._flush_now.set()  # the batch is done: record it before claiming more

    async def _perform(
        self, adapter: PlatformAdapter, row: Delivery, message: OutgoingMessage, copy: Delivery | None
    ) -> str | None:
        if row.operation == "send":
            return await adapter.send(message)
        if copy is None or copy.platform_message_id is None:  # not found at claim, or not landed then
            async with self.sessions() as session:
                copy = await deliveries.delivered_copy(session, row)
        text = await self._window_text(row) if row.operation == edits.EDIT else None
        if copy is None or copy.status == deliveries.FAILED:
            self._fail(row, "rejected: the original was not delivered")
            return None
        if copy.platform_message_id is None:
            # The original is still on its way: edit once it has landed (it may already carry this text).
            retry_at = utcnow() + timedelta(seconds=self.config.backoff_base * self.config.time_scale)
            self._pending.results.retry.append((row.id, retry_at, "waiting for the original"))
            return None
        if row.operation == "delete":
            await adapter.delete(message.chat, copy.platform_message_id)
        else:
            await adapter.edit(to_edit(row, copy, text))
        return copy.platform_message_id

    async def _window_text(self, row: Delivery) -> str | None:
        """The coalescing window's text of an edit row (None: the row carries its own), read once per window.

        An edit leaves only once its window has closed, so the window's text is final by then and is kept.
        """
        key = (row.subject, row.language, row.revision)
        if key not in self._texts:
            if len(self._texts) >= WINDOW_TEXTS:
                self._texts.clear()
            async with self.sessions() as session:
                text = await edits.window_text(session, *key)
            self._texts[key] = await self._live_text(row) if text == edits.LIVE_TEXT else text
        return self._texts[key]

    async def _live_text(self, row: Delivery) -> str:
        """A live window's text, rendered now (the window has closed: what it shows is committed)."""
        text = await self.live_text(row.subject, row.language) if self.live_text else None
        if text is None:  # the subject is gone, or this worker was built without the features' texts
            raise DeliveryError(FailureKind.REJECTED, "no live text for this subject")
        return text

    async def edit_text(self, row: Delivery) -> str:
        """The encoded text an edit row delivers: its window's (kept or live), or else the row's own."""
        text = await self._window_text(row)
        return row.payload if text is None else text

    def _fail(self, row: Delivery, detail: str) -> None:
        """Set the row aside as failed, saying why (counted per platform)."""
        metrics.labelled(metrics.OUTBOX_OUTCOMES, row.platform, "failed").inc()
        self._pending.results.failed.append((row.id, detail))

    def _failed(self, row: Delivery, error: DeliveryError, now: float) -> None:
        scale = self.config.time_scale
        results = self._pending.results
        detail = str(error)[:200]
        urgent = row.priority <= URGENT
        if error.kind is FailureKind.RATE_LIMITED:
            metrics.labelled(metrics.RATE_LIMITED, row.platform).inc()
            wait = (error.retry_after or 1.0) * (scale if scale < 1 else 1.0)
            self.pacer.release(row.platform, row.chat_id, now + wait)
            self.pacer.slow_down(row.platform, now, self.config.slowdown_period * scale)
            results.retry.append((row.id, utcnow() + timedelta(seconds=wait), detail))
            metrics.labelled(metrics.OUTBOX_OUTCOMES, row.platform, "retry").inc()
        elif error.kind is FailureKind.MIGRATED and error.new_chat_id:
            results.moved.append((row.id, error.new_chat_id))
            metrics.labelled(metrics.OUTBOX_OUTCOMES, row.platform, "moved").inc()
        elif error.kind in (FailureKind.BLOCKED, FailureKind.NOT_FOUND):
            self._fail(row, detail)
            self._pending.lost.append((row, error.kind))
        elif error.kind is FailureKind.TRANSIENT and (urgent or row.attempts < self.config.max_attempts):
            # Urgent rows (triage alerts, the relay with reporters) never give up on an outage.
            cap = self.config.urgent_backoff_cap if urgent else self.config.backoff_cap
            backoff = min(cap, self.config.backoff_base * 2 ** min(row.attempts - 1, 30)) * scale
            results.retry.append((row.id, utcnow() + timedelta(seconds=backoff), detail))
            metrics.labelled(metrics.OUTBOX_OUTCOMES, row.platform, "retry").inc()
        else:
            self._fail(row, detail)

    # Writing outcomes --------------------------------------------------------------------------------

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._flush_now.wait(), self.config.flush_interval * self.config.time_scale
                )
            self._flush_now.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write collected outcomes in one transaction, then tell whoever cares about lost targets.

        When the store fails, the outcomes are kept (ahead of newer ones) for the next flush, and the error
        is raised to the caller, which backs off.
        """
        pending, self._pending = self._pending, _Pending()
        if not pending:
            return
        try:
            async with self.sessions() as session, session.begin():
                await deliveries.record(session, pending.results)
                for row, _kind in pending.lost:
                    await deliveries.deactivate_target(session, row)
        except BaseException:
            pending.absorb(self._pending)
            self._pending = pending
            raise
        for row, kind in pending.lost:
            log.warning("target lost on %s: %s (delivery %s)", row.platform, kind.value, row.id)
            if self.on_target_lost is not None:
                try:
                    await self.on_target_lost(row, kind)
                except Exception as error:
                    log.error("on_target_lost failed: %s", type(error).__name__)
        if self.on_progress is not None and pending.subjects:
            try:
                await self.on_progress(pending.subjects)
            except Exception as error:
                log.error("on_progress failed: %s", type(error).__name__)
