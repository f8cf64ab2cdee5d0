"""Timers: one APScheduler job runs every feature's sweep; state lives in the domain rows, so restarts lose nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.db import SessionFactory
from bot.locks import Leadership
from handlers.core.context import FeatureConfig, Work
from handlers.core.feature import Sweep
from handlers.core.outbox import enqueue

log = structlog.get_logger(__name__)
SWEEP_LEADER = 1  # the sweeps' leadership lock (models/locks.py): one sweeper leads, the others stand by


class Sweeper:
    """Runs every feature's sweep, in the features' order, in one unit of work and hands the effects to the outbox."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        sweeps: tuple[Sweep, ...],
        config: FeatureConfig,
        clock: Callable[[], datetime],
        on_outbox: Callable[[], None],
        leadership: Leadership | None = None,
    ) -> None:
        self._sessions, self._sweeps, self._config, self._clock = sessions, sweeps, config, clock
        self._on_outbox, self._leadership = on_outbox, leadership
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def leading(self) -> bool:
        """Whether this process runs the sweeps (always, on SQLite; on PostgreSQL while it holds the leader lock)."""
        return self._leadership is None or self._leadership.leading

    async def run_once(self) -> int:
        """Run every timer now (tickets, scheduled notices and their reports, events, 爱心超市 holds); returns how
        many items needed attention (0 when another sweeper leads)."""
        if self._leadership is not None and not await self._leadership.leads():
            return 0
        async with self._sessions() as session, session.begin():
            work = Work(session=session, config=self._config, now=self._clock())
            handled = 0
            for sweep in self._sweeps:
                handled += await sweep(work)
            await enqueue(session, work.effects.items)
        if work.effects.items:
            self._on_outbox()
        return handled

    async def _tick(self) -> None:
        try:
            handled = await self.run_once()
        except Exception:
            log.exception("sweep.failed")
            return
        if handled:
            log.info("sweep.handled", items=handled)

    def start(self, every_seconds: float) -> None:
        """Sweep at start-up (catching up after a restart) and then every `every_seconds`."""
        self._scheduler = AsyncIOScheduler()
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=every_seconds,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            id="ticket-sweep",
        )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._leadership is not None:
            await self._leadership.stop()
