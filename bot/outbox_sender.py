"""Delivers outbox rows: per-bot and per-group limits, 429 retry_after, backoff, never a row twice."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import structlog

from bot.db import SessionFactory
from models.chats import deactivate_chat
from models.outbox import (
    EditWait,
    OutboxAction,
    OutboxMessage,
    OutboxStatus,
    due_rows,
    recover_interrupted,
    sent_message_id,
    superseded,
    wait_or_repost,
)
from models.payloads import EditPayload, Payload, decode
from models.reach import PrivateChat, refused_privately, set_private_chat

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
MAX_BACKOFF_SECONDS = 300.0
GROUP_WINDOW_SECONDS = 60.5  # Telegram counts 20 per minute; half a second covers network jitter
PACER_SLACK_SECONDS = 0.05  # the same idea for the per-second limit
CLAIM_BATCH = 200


class Failure(StrEnum):
    RETRY_AFTER = "retry_after"  # the platform asked us to wait; not the row's fault
    TRANSIENT = "transient"  # network or server trouble before the request landed: safe to retry
    UNCERTAIN = "uncertain"  # the request may have landed (timeout): never resend a send
    PERMANENT = "permanent"  # the request is wrong: retrying will not help
    CHAT_GONE = "chat_gone"  # the bot was removed or blocked


class DeliveryError(Exception):
    def __init__(self, failure: Failure, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.failure, self.reason, self.retry_after = failure, reason, retry_after


class NotModified(Exception):
    """An edit whose text and buttons are already what the message shows."""


@dataclass(frozen=True)
class Delivery:
    """One outbox row as a transport sees it: its typed payload; `message_id` is the message an edit changes, and
    `row_id` lets a platform without message ids name the message (and keep its progress on the row)."""

    action: str
    chat_id: str
    payload: Payload
    message_id: str | None
    row_id: int | None = None

    @classmethod
    def stored(
        cls, action: str, chat_id: str, payload: dict[str, Any], message_id: str | None, row_id: int | None = None
    ) -> Delivery:
        """The delivery of a row that stores `payload` (read through the one codec)."""
        return cls(action, chat_id, decode(action, payload), message_id, row_id)


class Transport(Protocol):
    platform: str
    group_limit_per_minute: int

    def is_group(self, chat_id: str) -> bool: ...

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send it; return the platform message id for sends, raise DeliveryError/NotModified."""
        ...


class Pacer:
    """At most `rate` requests in any sliding second (plus slack for jitter), evenly spaced.

    The window holds actual departure times: a task that wakes late re-checks before it goes, so late wake-ups
    can never bunch requests together.
    """

    def __init__(self, rate: float, slack: float = PACER_SLACK_SECONDS) -> None:
        self._interval, self._limit, self._window = 1.0 / rate, max(1, int(rate)), 1.0 + slack
        self._departures: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _wait_needed(self, now: float) -> float:
        while self._departures and self._departures[0] <= now - self._window:
            self._departures.popleft()
        waits = [0.0]
        if self._departures:
            waits.append(self._departures[-1] + self._interval - now)
        if len(self._departures) >= self._limit:
            waits.append(self._departures[0] + self._window - now)
        return max(waits)

    async def wait(self) -> None:
        async with self._lock:  # held while sleeping: nobody else can take the slot we wait for
            delay = self._wait_needed(time.monotonic())
            if delay > 0:
                await asyncio.sleep(delay)
            self._departures.append(time.monotonic())


class ChatWindows:
    """Sliding one-minute windows per group chat, plus chats told to wait by a 429."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def has_room(self, chat_id: str, is_group: bool, now: float) -> bool:
        if self._blocked_until.get(chat_id, 0.0) > now:
            return False
        if not is_group:
            return True
        window = self._sent.get(chat_id)
        if window is None:
            return True
        while window and window[0] <= now - GROUP_WINDOW_SECONDS:
            window.popleft()
        return len(window) < self._per_minute

    def record(self, chat_id: str, is_group: bool, now: float) -> None:
        if is_group:
            self._sent.setdefault(chat_id, deque()).append(now)

    def block(self, chat_id: str, until: float) -> None:
        self._blocked_until[chat_id] = max(until, self._blocked_until.get(chat_id, 0.0))


class OutboxSender:
    """The only code that talks to platforms; one per process, many processes may share a database."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        transports: dict[str, Transport],
        clock: Clock,
        bot_rate_per_second: float = 30.0,
        max_attempts: int = 8,
        concurrency: int = 16,
        lock_rows: bool = False,
        poll_seconds: float = 1.0,
    ) -> None:
        self._sessions, self._transports, self._clock = sessions, transports, clock
        self._pacers = {name: Pacer(bot_rate_per_second) for name in transports}
        self._windows = {name: ChatWindows(t.group_limit_per_minute) for name, t in transports.items()}
        self._max_attempts, self._lock_rows, self._poll = max_attempts, lock_rows, poll_seconds
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._inflight_chats: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self.delivered = 0

    @property
    def alive(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """Recover rows a crash interrupted, then start delivering."""
        async with self._sessions() as session, session.begin():
            interrupted = await recover_interrupted(session)
        if interrupted:
            log.warning("outbox.interrupted_rows", count=interrupted)
        self._runner = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop claiming rows and let deliveries in flight finish, so no row is left 'sending'."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                claimed = await self._claim_and_start()
            except Exception:
                log.exception("outbox.claim_failed")
                claimed = 0
            if claimed == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def _claim_and_start(self) -> int:
        """Mark a batch of due rows 'sending' (committed before any request) and start their delivery."""
        free = self._free_slots()
        if free == 0:
            return 0
        async with self._sessions() as session, session.begin():
            rows = await due_rows(session, now=self._clock(), limit=CLAIM_BATCH, lock=self._lock_rows)
            picked = self._pick(rows, free)
            for row in picked:
                row.status = OutboxStatus.CLAIMED
        for row in picked:
            self._start(row)
        return len(picked)

    def _free_slots(self) -> int:
        return max(0, self._concurrency - len(self._tasks))

    def _pick(self, rows: list[OutboxMessage], free: int) -> list[OutboxMessage]:
        """At most one row per chat at a time, oldest first, only where the chat's window has room."""
        picked: list[OutboxMessage] = []
        seen: set[tuple[str, str]] = set()
        now = time.monotonic()
        for row in rows:
            key = (row.platform, row.chat_id)
            transport = self._transports.get(row.platform)
            if transport is None:
                continue
            if row.action == OutboxAction.ANSWER:
                picked.append(row)
            elif key not in seen and key not in self._inflight_chats:
                seen.add(key)
                if self._windows[row.platform].has_room(row.chat_id, transport.is_group(row.chat_id), now):
                    picked.append(row)
                    self._inflight_chats.add(key)
            if len(picked) >= free:
                break
        return picked

    def _start(self, row: OutboxMessage) -> None:
        task = asyncio.create_task(self._deliver(row))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, row: OutboxMessage) -> None:
        try:
            await self._deliver_row(row)
        except Exception:
            log.exception("outbox.deliver_crashed", row=row.id)
        finally:
            if row.action != OutboxAction.ANSWER:
                self._inflight_chats.discard((row.platform, row.chat_id))
            self._wake.set()

    async def _deliver_row(self, row: OutboxMessage) -> None:
        transport = self._transports[row.platform]
        if await self._superseded(row):
            await self._finish(row, status=OutboxStatus.SENT, error="superseded by a newer edit")
            return
        message_id = await self._target_message_id(row)
        if row.action == OutboxAction.EDIT and message_id is None:
            await self._edit_without_message(row)
            return
        if row.action != OutboxAction.ANSWER:
            await self._pacers[row.platform].wait()
            self._windows[row.platform].record(row.chat_id, transport.is_group(row.chat_id), time.monotonic())
        await self._set_status(row, OutboxStatus.SENDING)
        delivery = Delivery(row.action, row.chat_id, row.content, message_id, row.id)
        try:
            sent_id = await transport.deliver(delivery)
        except NotModified:
            await self._finish(row, status=OutboxStatus.SENT)
        except DeliveryError as error:
            await self._failed(row, transport, error)
        else:
            self.delivered += 1
            opened = row.action == OutboxAction.SEND and not transport.is_group(row.chat_id)
            await self._finish(row, status=OutboxStatus.SENT, message_id=sent_id or message_id, private_opened=opened)

    async def _edit_without_message(self, row: OutboxMessage) -> None:
        """Wait for the message to edit, or post the card anew behind a send that may never have arrived."""
        async with self._sessions() as session, session.begin():
            fate = await wait_or_repost(session, row_id=row.id or 0, now=self._clock())
        if fate is not EditWait.WAITING:
            log.warning("outbox.edit_without_message", row=row.id, outcome=fate)

    async def _superseded(self, row: OutboxMessage) -> bool:
        if row.action != OutboxAction.EDIT:
            return False
        async with self._sessions() as session:
            return await superseded(session, row=row)

    async def _set_status(self, row: OutboxMessage, status: OutboxStatus) -> None:
        """Commit the row's status before the request, so a crash leaves an honest trace."""
        async with self._sessions() as session, session.begin():
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.status = status

    async def _target_message_id(self, row: OutboxMessage) -> str | None:
        content = row.content
        if not isinstance(content, EditPayload):
            return None
        if content.ref_key is None:
            return content.message_id
        async with self._sessions() as session:
            target = await sent_message_id(session, ref_key=content.ref_key)
        return None if target is None else target[1]

    async def _failed(self, row: OutboxMessage, transport: Transport, error: DeliveryError) -> None:
        log.warning("outbox.delivery_failed", row=row.id, failure=error.failure, reason=error.reason)
        if error.failure is Failure.RETRY_AFTER:
            self._windows[row.platform].block(row.chat_id, time.monotonic() + error.retry_after)
            await self._finish(row, status=OutboxStatus.PENDING, error=error.reason, delay=error.retry_after)
        elif error.failure is Failure.TRANSIENT or (
            error.failure is Failure.UNCERTAIN and row.action != OutboxAction.SEND
        ):
            attempts = row.attempts + 1
            if attempts >= self._max_attempts:
                reason = f"gave up after {attempts} attempts: {error.reason}"
                await self._finish(row, status=OutboxStatus.FAILED, error=reason, attempts=attempts)
            else:
                await self._finish(
                    row, status=OutboxStatus.PENDING, error=error.reason, attempts=attempts, delay=backoff(attempts)
                )
        elif error.failure is Failure.UNCERTAIN:
            await self._finish(row, status=OutboxStatus.UNCERTAIN, error=error.reason)
        elif error.failure is Failure.CHAT_GONE and not transport.is_group(row.chat_id):
            reason = f"refused privately, sent to the group route if the row has one: {error.reason}"
            await self._finish(row, status=OutboxStatus.FAILED, error=reason, private_refused=True)
        else:
            await self._finish(
                row, status=OutboxStatus.FAILED, error=error.reason, chat_gone=error.failure is Failure.CHAT_GONE
            )

    async def _finish(
        self,
        row: OutboxMessage,
        *,
        status: OutboxStatus,
        error: str | None = None,
        message_id: str | None = None,
        attempts: int | None = None,
        delay: float = 0.0,
        chat_gone: bool = False,
        private_opened: bool = False,
        private_refused: bool = False,
    ) -> None:
        """Record the outcome of one delivery in its own transaction; what a private send taught about the
        person's private chat, and the group route of a refused one (models/reach.py), go in the same one."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.status = status
            stored.last_error = error[:500] if error else stored.last_error
            if attempts is not None:
                stored.attempts = attempts
            if status is OutboxStatus.SENT:
                stored.sent_at, stored.platform_message_id = now, message_id
            if status is OutboxStatus.PENDING:
                stored.next_attempt_at = now + timedelta(seconds=delay)
            if chat_gone:
                await deactivate_chat(session, platform=row.platform, platform_chat_id=row.chat_id)
            if private_opened:
                await set_private_chat(
                    session, platform=row.platform, platform_user_id=row.chat_id, state=PrivateChat.OPEN
                )
            if private_refused and await refused_privately(session, row=stored) is not None:
                log.info("outbox.private_refused_fallback", row=row.id)


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter: about 1, 2, 4 … seconds, capped at five minutes."""
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** (attempts - 1))
    return base * random.uniform(0.8, 1.2)
