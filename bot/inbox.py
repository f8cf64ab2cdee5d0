"""The inbox processor: updates written durably by the adapters are processed from the database, in per-chat order;
one that keeps failing is set aside after a few attempts and never holds up the updates behind it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import SessionFactory, unit_of_work
from bot.dispatcher import AlreadyProcessed, Dispatcher
from bot.locks import ChatTurns
from bot.logs import failure
from handlers.core.types import Incoming
from models.inbox import (
    Arrival,
    DueUpdate,
    InboxStatus,
    add_to_inbox,
    due_updates,
    finish_updates,
    forget_done,
    inbox_update,
)
from models.pace import forget_paces

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
Read = Callable[[dict[str, Any]], Incoming | None]
"""The adapter's reading of a stored update: the neutral item, None for what Linli ignores; raises if unreadable."""
ReadDue = Callable[[AsyncSession], Awaitable[Sequence[DueUpdate]]]
"""Reads the updates a batch is to process, in the batch's own transaction."""
KEEP_DONE = timedelta(days=1)
FORGET_EVERY = timedelta(hours=1)
PER_CHAT_TURN = 10  # a chat's updates processed before the others get a turn (a flooded group waits, not everyone)
CANDIDATES = 3  # with several workers (PostgreSQL): a worker looks at 3 batches' worth of due updates, so that it
# finds a batch's worth of chats no other worker is at


class InboxProcessor:
    """Stores arriving updates (one transaction per batch) and processes them from the database, a batch per
    transaction (each chat in its order), one by one when something in the batch fails."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        dispatcher: Dispatcher,
        read: Read,
        clock: Clock,
        max_attempts: int = 3,
        retry_seconds: float = 1.0,
        poll_seconds: float = 1.0,
        turns: ChatTurns | None = None,
    ) -> None:
        self._sessions, self._dispatcher, self._read, self._clock = sessions, dispatcher, read, clock
        self._max_attempts, self._retry_seconds, self._poll_seconds = max_attempts, retry_seconds, poll_seconds
        self._turns = turns
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._forgot_at: datetime | None = None

    async def store(self, rows: Sequence[Arrival]) -> int:
        """Write these arrivals durably (before the platform hears they arrived); returns how many were new."""
        async with unit_of_work(self._sessions) as session:
            added = await add_to_inbox(session, rows)
        for row in added:
            if row.status == InboxStatus.SET_ASIDE:
                log.warning("inbox.unparseable", update=row.delivery_key, reason=row.reason)
        self._wake.set()
        return len(added)

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox")

    async def stop(self) -> None:
        """Finish the update in hand, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._turns is not None:
            await self._turns.close()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                handled = await self.run_once()
                failures = 0
            except Exception as error:  # the database is away: keep trying, slower and slower
                failures += 1
                log.error("inbox.unavailable", attempt=failures, **failure(error))
                handled = 0
                await asyncio.sleep(min(30.0, self._poll_seconds * 2**failures))
            if not handled and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
                self._wake.clear()

    async def run_once(self, limit: int = 100) -> int:
        """Process the due updates, the chats taking turns (`due_updates`); a chat whose update is to be retried
        waits with all its later ones. Returns how many were finished. On PostgreSQL, where several workers may
        share the inbox, a worker processes only chats it holds the turn at (`ChatTurns`)."""
        now = self._clock()
        if self._turns is not None:
            async with self._sessions() as session:
                due = await due_updates(session, now=now, limit=limit * CANDIDATES, per_chat=PER_CHAT_TURN)
            if not due:
                await self._forget_done(now)
                return 0
            return await self._process_in_turns(self._turns, due, limit)
        found = await self._process_due(partial(due_updates, now=now, limit=limit, per_chat=PER_CHAT_TURN))
        if found == 0:
            await self._forget_done(now)
        return found

    async def _process_in_turns(self, turns: ChatTurns, due: Sequence[DueUpdate], limit: int) -> int:
        """Take the turn, in one round trip, at as many of these chats as a batch can serve that no other worker
        is at, process their due updates as they are now (another worker may have just done some) as one batch,
        then let the chats go (one round trip)."""
        held: list[str] = []
        try:
            held = await turns.take_free(list(dict.fromkeys(row.chat_key for row in due)), at_most=limit)
            if not held:
                return 0
            return await self._process_due(
                partial(due_updates, now=self._clock(), limit=limit, per_chat=PER_CHAT_TURN, chat_keys=held)
            )
        finally:
            if held:
                await turns.release_all()

    async def _process_due(self, read: ReadDue) -> int:
        """Read the due updates and process them in the same transaction (`_process_together`), one by one if that
        failed; returns how many were finished (0 when none was due)."""
        rows, together = await self._process_together(read)
        if together is not None:
            return together
        return await self._process_one_by_one(rows)

    async def _forget_done(self, now: datetime) -> None:
        """When idle, about once an hour: drop the updates done (and the command paces kept) more than a day ago."""
        if self._forgot_at is None or now - self._forgot_at > FORGET_EVERY:
            async with unit_of_work(self._sessions) as session:
                await forget_done(session, before=now - KEEP_DONE)
                await forget_paces(session, before=now - KEEP_DONE)
            self._forgot_at = now

    async def _process_together(self, read: ReadDue) -> tuple[Sequence[DueUpdate], int | None]:
        """Read the due updates and process them in one transaction, each marked done in it (one commit for the
        batch): returns them and how many were finished, or None, with nothing of it kept, if any of them failed:
        then they go one by one, each in its own transaction. Reading in the batch's transaction saves one of its
        own (on PostgreSQL also the connection's check-out ping)."""
        rows: Sequence[DueUpdate] = ()
        try:
            async with unit_of_work(self._sessions) as session:
                rows = await read(session)
                finished, unreadable = await self._process_in(session, rows) if rows else (0, [])
        except Exception as error:
            if not rows:
                raise  # the database is away (`_run` backs off)
            log.info("inbox.batch_failed", updates=len(rows), **failure(error))
            return rows, None
        for row, reason in unreadable:
            log.warning("inbox.unparseable", update=row.delivery_key, reason=reason)
        if rows:
            self._dispatcher.outbox_written()
        return rows, finished

    async def _process_in(
        self, session: AsyncSession, rows: Sequence[DueUpdate]
    ) -> tuple[int, list[tuple[DueUpdate, str]]]:
        """The batch's work in the caller's transaction: returns how many were finished and the unreadable ones."""
        readings = [(row, *self._reading(row)) for row in rows]
        done: list[int] = []
        unreadable: list[tuple[DueUpdate, str]] = []
        items = [incoming for _, incoming, _ in readings if incoming is not None]
        async with self._dispatcher.batch(session, items) as batch:
            for row, incoming, problem in readings:
                if self._stopping:
                    break
                if problem is not None:
                    unreadable.append((row, problem))
                    await self._finish_in(session, [row.id], InboxStatus.SET_ASIDE, problem)
                    continue
                if incoming is not None:
                    await batch.process(incoming)
                done.append(row.id)
        await self._finish_in(session, done, InboxStatus.DONE)
        return len(done) + len(unreadable), unreadable

    def _reading(self, row: DueUpdate) -> tuple[Incoming | None, str | None]:
        """The neutral item of a stored update (None for what Linli ignores), or the reason it cannot be read."""
        try:
            return self._read(json.loads(row.raw)), None
        except Exception as error:
            return None, f"unreadable: {failure(error)['error']}"

    async def _process_one_by_one(self, rows: Sequence[DueUpdate]) -> int:
        """Each update in its own transaction; a chat whose update is to be retried waits with all its later ones."""
        waiting: set[str] = set()
        finished = 0
        for row in rows:
            if self._stopping:
                break
            if row.chat_key in waiting:
                continue
            if await self._process(row):
                finished += 1
            else:
                waiting.add(row.chat_key)
        return finished

    async def _process(self, row: DueUpdate) -> bool:
        """True when the update is finished (done or set aside), False when it waits for another attempt."""
        incoming, problem = self._reading(row)
        if problem is not None:
            await self._finish(row.id, InboxStatus.SET_ASIDE, problem)
            log.warning("inbox.unparseable", update=row.delivery_key, reason=problem)
            return True
        if incoming is None:
            await self._finish(row.id, InboxStatus.DONE)
            return True
        try:
            async with unit_of_work(self._sessions) as session:
                await self._dispatcher.process_in(session, incoming)
                await self._finish_in(session, [row.id], InboxStatus.DONE)
        except AlreadyProcessed:
            log.info("update.duplicate", platform=incoming.chat.platform, update=incoming.update_key)
            await self._finish(row.id, InboxStatus.DONE)
            return True
        except Exception as error:
            return await self._failed(row, incoming, error)
        self._dispatcher.outbox_written()
        return True

    async def _failed(self, row: DueUpdate, incoming: Incoming, error: Exception) -> bool:
        attempts = row.attempts + 1
        facts = failure(error)
        log.warning("inbox.update_failed", update=row.delivery_key, attempt=attempts, **facts)
        if attempts < self._max_attempts:
            retry_at = self._clock() + timedelta(seconds=self._retry_seconds * 2 ** (attempts - 1))
            async with unit_of_work(self._sessions) as session:
                stored = await inbox_update(session, update_id=row.id)
                if stored is not None:
                    stored.attempts, stored.next_attempt_at = attempts, retry_at
            return False
        await self._dispatcher.give_up(incoming, record=False)  # set aside here; `inbox retry` may run it again
        reason = f"failed {attempts} times: {facts['error']} at {facts['where']}"
        await self._finish(row.id, InboxStatus.SET_ASIDE, reason, attempts)
        log.error("inbox.set_aside", update=row.delivery_key, attempts=attempts, **facts)
        return True

    async def _finish(
        self, row_id: int, status: InboxStatus, reason: str | None = None, attempts: int | None = None
    ) -> None:
        async with unit_of_work(self._sessions) as session:
            await self._finish_in(session, [row_id], status, reason, attempts)

    async def _finish_in(
        self,
        session: AsyncSession,
        row_ids: Sequence[int],
        status: InboxStatus,
        reason: str | None = None,
        attempts: int | None = None,
    ) -> None:
        await finish_updates(
            session, update_ids=row_ids, status=status, now=self._clock(), reason=reason, attempts=attempts
        )
