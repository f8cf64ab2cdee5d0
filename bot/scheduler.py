"""Timers: one APScheduler job sweeps due tickets; state lives in the tickets, so restarts lose nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text

from bot.db import SessionFactory
from handlers.announce.compose import sweep_announcements
from handlers.core.outbox import enqueue
from handlers.core.types import Effects
from handlers.events.wizard import sweep_events
from handlers.passbook.shop import sweep_shop
from handlers.tickets.rules import Sla
from handlers.tickets.service import Desk
from handlers.tickets.timers import sweep

log = structlog.get_logger(__name__)
SWEEP_LOCK = 4_201_000  # PostgreSQL advisory lock: one worker sweeps at a time


class Sweeper:
    """Runs the ticket sweep in its own unit of work and hands its effects to the outbox."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        sla: Sla,
        clock: Callable[[], datetime],
        locale: str,
        timezone: ZoneInfo,
        on_outbox: Callable[[], None],
        postgres: bool,
    ) -> None:
        self._sessions, self._sla, self._clock, self._locale = sessions, sla, clock, locale
        self._timezone = timezone
        self._on_outbox, self._postgres = on_outbox, postgres
        self._scheduler: AsyncIOScheduler | None = None

    async def run_once(self) -> int:
        """Run every timer now (tickets, scheduled notices and their reports, events, 爱心超市 holds); returns how
        many items needed attention (0 if another worker holds the lock)."""
        effects = Effects()
        async with self._sessions() as session, session.begin():
            if self._postgres:
                locked = await session.exec(text(f"SELECT pg_try_advisory_xact_lock({SWEEP_LOCK})"))  # type: ignore[call-overload]
                if not locked.scalar():
                    return 0
            desk = Desk(session, effects, self._sla, self._clock(), self._locale)
            handled = await sweep(desk) + await sweep_announcements(desk)
            handled += await sweep_events(session, effects, desk.now, self._locale, self._timezone)
            handled += await sweep_shop(session, effects, desk.now, self._locale, self._timezone)
            await enqueue(session, effects.items)
        if effects.items:
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

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
