"""Senders in other processes hear of committed outbox rows at once (PostgreSQL LISTEN/NOTIFY) instead of at their
next poll. A hint, not a queue: the poll stays, so a lost notification costs one poll interval and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.locks import KeptConnection
from models.locks import still_connected
from models.outbox import OUTBOX_CHANNEL, announce_rows

log = structlog.get_logger(__name__)
RECONNECT_SECONDS = 5.0  # after a lost or failed connection
CHECK_SECONDS = 30.0  # how often a listener makes sure its connection still answers
SPACING_SECONDS = 0.05  # at most 20 announcements a second per process, each waking every sender for one claim


class OutboxAnnouncer:
    """Tells the senders of every process that rows were committed: one NOTIFY at a time on a connection of its own,
    off the committing transaction, and at most one per `SPACING_SECONDS`; announcements made meanwhile go out
    together in the next (an inbox flood commits hundreds of batches a second: each NOTIFY costs the server about a
    millisecond and every sender a claim)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._kept = KeptConnection(engine)
        self._due = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="outbox-announcer")

    def announce(self) -> None:
        self._due.set()

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        await self._kept.drop()

    async def _run(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            try:
                await announce_rows(await self._kept.connected())
            except Exception as error:  # the senders find the rows at their next poll
                log.warning("outbox.announce_failed", error=str(error)[:200])
                await self._kept.drop()
                await asyncio.sleep(RECONNECT_SECONDS)
            await asyncio.sleep(SPACING_SECONDS)


class OutboxListener:
    """Calls `heard` when any process announces rows: LISTEN on a connection of its own (once more on starting to
    listen, for rows announced while it was not), connected again after a pause when the connection is lost."""

    def __init__(self, engine: AsyncEngine, heard: Callable[[], None]) -> None:
        self._engine, self._heard = engine, heard
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="outbox-listener")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception as error:
                log.warning("outbox.listen_failed", error=str(error)[:200])
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        """Listen until the connection is lost (or stops answering); the connection is never given back to the pool
        with the listener on it."""
        connection = await (await self._engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
        try:
            driver = (await connection.get_raw_connection()).driver_connection  # asyncpg's
            assert driver is not None
            lost = asyncio.Event()
            driver.add_termination_listener(lambda _connection: lost.set())
            await driver.add_listener(OUTBOX_CHANNEL, self._notified)
            self._heard()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), CHECK_SECONDS)
                if not lost.is_set() and not await asyncio.wait_for(still_connected(connection), CHECK_SECONDS):
                    return
        finally:
            await connection.invalidate()  # closes asyncpg's connection, and its listeners with it
            await connection.close()  # gives the pool its place back

    def _notified(self, *_notification: Any) -> None:
        self._heard()
