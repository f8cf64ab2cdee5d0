"""The inbox processor: updates written durably by the adapters are processed from the database, in per-chat order;
one that keeps failing is set aside after a few attempts and never holds up the updates behind it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from bot.db import SessionFactory, unit_of_work
from bot.dispatcher import Dispatcher
from bot.locks import ChatTurns
from bot.logs import failure
from handlers.core.types import Incoming
from models.inbox import (
    InboxStatus,
    InboxUpdate,
    add_to_inbox,
    due_updates,
    forget_done,
    inbox_update,
)

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
Read = Callable[[dict[str, Any]], Incoming | None]
"""The adapter's reading of a stored update: the neutral item, None for what Linli ignores; raises if unreadable."""
KEEP_DONE = timedelta(days=1)
FORGET_EVERY = timedelta(hours=1)


class InboxProcessor:
    """Stores arriving updates (one transaction per batch) and processes them one by one from the database."""

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

    async def store(self, rows: Sequence[InboxUpdate]) -> int:
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
        """Process the due updates, oldest first; a chat whose update is to be retried waits with all its later
        ones. Returns how many were finished. On PostgreSQL, where several workers may share the inbox, a worker
        takes its turn at one chat at a time (`ChatTurns`) and skips the chats other workers are at."""
        if self._turns is None:
            return await self._process_due(limit)
        now = self._clock()
        async with self._sessions() as session:
            due = await due_updates(session, now=now, limit=limit)
        if not due:
            await self._forget_done(now)
        finished = 0
        for chat_key in dict.fromkeys(row.chat_key for row in due):
            if self._stopping:
                break
            if await self._turns.take(chat_key):
                try:
                    finished += await self._process_chat(chat_key, limit)
                finally:
                    await self._turns.release(chat_key)
        return finished

    async def _process_chat(self, chat_key: str, limit: int) -> int:
        """In this worker's turn at the chat: its due updates as they are now (another worker may just have done
        some), in order, until one waits for another attempt."""
        async with self._sessions() as session:
            due = await due_updates(session, now=self._clock(), limit=limit, chat_key=chat_key)
        finished = 0
        for row in due:
            if self._stopping or not await self._process(row):
                break
            finished += 1
        return finished

    async def _process_due(self, limit: int) -> int:
        now = self._clock()
        async with self._sessions() as session:
            due = await due_updates(session, now=now, limit=limit)
        if not due:
            await self._forget_done(now)
        waiting: set[str] = set()
        finished = 0
        for row in due:
            if self._stopping:
                break
            if row.chat_key in waiting:
                continue
            if await self._process(row):
                finished += 1
            else:
                waiting.add(row.chat_key)
        return finished

    async def _forget_done(self, now: datetime) -> None:
        """When idle, about once an hour: drop the updates done more than a day ago."""
        if self._forgot_at is None or now - self._forgot_at > FORGET_EVERY:
            async with unit_of_work(self._sessions) as session:
                await forget_done(session, before=now - KEEP_DONE)
            self._forgot_at = now

    async def _process(self, row: InboxUpdate) -> bool:
        """True when the update is finished (done or set aside), False when it waits for another attempt."""
        assert row.id is not None
        try:
            incoming = self._read(json.loads(row.raw))
        except Exception as error:
            await self._finish(row.id, InboxStatus.SET_ASIDE, f"unreadable: {failure(error)['error']}")
            log.warning("inbox.unparseable", update=row.delivery_key, **failure(error))
            return True
        if incoming is None:
            await self._finish(row.id, InboxStatus.DONE)
            return True
        try:
            await self._dispatcher.process(incoming)
        except Exception as error:
            return await self._failed(row, incoming, error)
        await self._finish(row.id, InboxStatus.DONE)
        return True

    async def _failed(self, row: InboxUpdate, incoming: Incoming, error: Exception) -> bool:
        assert row.id is not None
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

    async def _finish(self, row_id: int, status: InboxStatus, reason: str | None = None, attempts: int = 0) -> None:
        async with unit_of_work(self._sessions) as session:
            stored = await inbox_update(session, update_id=row_id)
            if stored is None:
                return
            stored.status, stored.finished_at = status, self._clock()
            stored.attempts = max(stored.attempts, attempts)
            if reason is not None:
                stored.reason = reason[:200]
