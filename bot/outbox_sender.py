"""Delivers outbox rows: per-bot and per-group limits, 429 retry_after, backoff, never a row twice."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import structlog

from bot.db import SessionFactory
from bot.departures import Departures
from bot.locks import LockHolder
from models.base import utcnow
from models.chats import deactivate_chat
from models.locks import LockKind
from models.outbox import (
    EditWait,
    OutboxAction,
    OutboxMessage,
    OutboxStatus,
    claimants,
    next_in_line,
    pass_the_turn,
    recover_interrupted,
    sent_message_id,
    superseded,
    wait_or_repost,
)
from models.payloads import EditPayload, Payload, decode
from models.reach import PrivateChat, refuse_closed_chats, refused_privately, set_private_chat
from models.send_windows import Booking, Limit, Wanted, hold_chat

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
MAX_BACKOFF_SECONDS = 300.0
COMMIT_AHEAD_SECONDS = 0.01  # a row's 'sending' is committed this long before its departure
GROUP_WINDOW_SECONDS = 60.0  # Telegram counts 20 per minute (a request counts until a minute after its answer)
RECOVER_EVERY_SECONDS = 30.0  # how often a sender looks for rows a dead sender left claimed (PostgreSQL)


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
    answer_expires_after: float | None  # seconds after which the platform refuses to answer a press

    def is_group(self, chat_id: str) -> bool: ...

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send it; return the platform message id for sends, raise DeliveryError/NotModified."""
        ...


def bot_limit(rate_per_second: float) -> Limit:
    """Evenly spaced at `rate_per_second`, and never more than that many arriving in any second."""
    return Limit(count=max(1, int(rate_per_second)), seconds=1.0, spacing=1.0 / rate_per_second)


def group_limit(per_minute: int) -> Limit:
    return Limit(count=per_minute, seconds=GROUP_WINDOW_SECONDS)


class OutboxSender:
    """The only code that talks to platforms; any number of senders (processes) may share a database: the limits
    are booked in the database (models/send_windows.py), rows are claimed SKIP LOCKED, and a sender that dies is
    noticed by its lost liveness lock, its claimed rows going back to the queue."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        transports: dict[str, Transport],
        clock: Clock,
        bot_rate_per_second: float = 30.0,
        max_attempts: int = 8,
        concurrency: int = 16,
        liveness: LockHolder | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._sessions, self._transports, self._clock = sessions, transports, clock
        self._departures = Departures(sessions, bot_limit(bot_rate_per_second))
        self._group_limits = {name: group_limit(t.group_limit_per_minute) for name, t in transports.items()}
        self._max_attempts, self._liveness, self._poll = max_attempts, liveness, poll_seconds
        self._concurrency = concurrency
        self.sender_id = 0
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._recovered_at = 0.0
        self.delivered = 0

    @property
    def alive(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """Take a name (and, on PostgreSQL, hold its liveness lock), recover rows a crash interrupted, then start
        delivering."""
        self.sender_id = await self._take_name()
        await self._recover()
        self._departures.start()
        self._runner = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop claiming rows and let deliveries in flight finish, so no row is left 'sending'."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._departures.stop()
        if self._liveness is not None:
            await self._liveness.close()

    async def _take_name(self) -> int:
        while True:
            name = secrets.randbelow(2**31 - 1) + 1
            if self._liveness is None or await self._liveness.take(LockKind.SENDER, name):
                return name

    async def _recover(self) -> None:
        """Rows claimed by senders that are gone: claimed ones back to the queue, those on the wire uncertain. On
        SQLite this one process is the only sender; on PostgreSQL a sender is gone when its liveness lock is free."""
        async with self._sessions() as session, session.begin():
            for owner in await claimants(session):
                if owner != self.sender_id and await self._gone(owner):
                    interrupted = await recover_interrupted(session, claimed_by=owner)
                    if interrupted:
                        log.warning("outbox.interrupted_rows", count=interrupted, sender=owner)
        self._recovered_at = asyncio.get_running_loop().time()

    async def _gone(self, owner: int | None) -> bool:
        if self._liveness is None or owner is None:
            return True
        if not await self._liveness.take(LockKind.SENDER, owner):
            return False
        await self._liveness.release(LockKind.SENDER, owner)
        return True

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking: a delivery that ends while we look wakes the next look
            try:
                if asyncio.get_running_loop().time() - self._recovered_at > RECOVER_EVERY_SECONDS:
                    await self._recover()
                claimed = await self._claim_and_start()
            except Exception:
                log.exception("outbox.claim_failed")
                claimed = 0
            if claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def _claim_and_start(self) -> int:
        """Mark the rows next in line 'claimed' by this sender (committed before any request), start their delivery;
        those that cannot go (a closed private chat, a press too old to answer) fail at once without a request.
        Returns how many rows were taken either way."""
        free = self._concurrency - len(self._tasks)
        if free <= 0:
            return 0
        lock = self._liveness is not None
        async with self._sessions() as session, session.begin():
            taken = await next_in_line(session, now=self._clock(), limit=free, lock=lock)
            taken = [row for row in taken if row.platform in self._transports]
            refused = await refuse_closed_chats(session, chats=self._private_sends(taken), lock=lock)
            if refused:
                log.info("outbox.refused_without_request", chats=len(refused), rows=sum(refused.values()))
            self._expire_answers(taken)
            rows = [row for row in taken if row.status == OutboxStatus.PENDING]
            for row in rows:
                row.status, row.claimed_by = OutboxStatus.CLAIMED, self.sender_id
        for row in rows:
            self._start(row)
        return len(taken)

    def _expire_answers(self, rows: list[OutboxMessage]) -> None:
        """Fail, without a request, the answers to presses older than their platform answers: after a flood of
        presses they would only keep the replies behind them waiting for refusals."""
        now = utcnow()  # rows are stamped with the wall clock
        for row in rows:
            expires_after = self._transports[row.platform].answer_expires_after
            if row.action != OutboxAction.ANSWER or expires_after is None:
                continue
            if now - row.created_at > timedelta(seconds=expires_after):
                row.status, row.last_error = OutboxStatus.FAILED, "not sent: the press is too old to answer"

    def _private_sends(self, rows: list[OutboxMessage]) -> set[tuple[str, str]]:
        """The private chats (platform, chat id) the sends among `rows` go to."""
        return {
            (row.platform, row.chat_id)
            for row in rows
            if row.action == OutboxAction.SEND and not self._transports[row.platform].is_group(row.chat_id)
        }

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
        booking = None
        if row.action != OutboxAction.ANSWER:
            booking = await self._wait_for_departure(row, transport)
            if booking is None:
                return
        await self._set_status(row, OutboxStatus.SENDING)
        if booking is not None:
            await asyncio.sleep(max(0.0, booking.read_at + (booking.wait or 0.0) - asyncio.get_running_loop().time()))
        delivery = Delivery(row.action, row.chat_id, row.content, message_id, row.id)
        try:
            sent_id = await self._request(transport, delivery, booking)
        except NotModified:
            await self._finish(row, status=OutboxStatus.SENT)
        except DeliveryError as error:
            await self._failed(row, transport, error)
        else:
            self.delivered += 1
            opened = row.action == OutboxAction.SEND and not transport.is_group(row.chat_id)
            await self._finish(row, status=OutboxStatus.SENT, message_id=sent_id or message_id, private_opened=opened)

    async def _request(self, transport: Transport, delivery: Delivery, booking: Booking | None) -> str | None:
        """The request itself; the instant it is done with (answered or not) goes to the next round of bookings, since
        the platform has counted it by then if it ever will."""
        try:
            return await transport.deliver(delivery)
        finally:
            if booking is not None:
                self._departures.answered(booking, asyncio.get_running_loop().time())

    async def _wait_for_departure(self, row: OutboxMessage, transport: Transport) -> Booking | None:
        """Book a departure and wait until just before it (the row's 'sending' is committed in between, so the commit
        does not make the request late; a late one is safe anyway: the booking counts until its answer). None when
        the chat has no room (a group's full minute, a 429): the row is back in line, holding back only its chat."""
        group = self._group_limits[row.platform] if transport.is_group(row.chat_id) else None
        booking = await self._departures.book(Wanted(row.platform, row.chat_id, group))
        if booking.wait is None:
            await self._finish(row, status=OutboxStatus.PENDING, delay=booking.room_in)
            return None
        due = booking.read_at + booking.wait - COMMIT_AHEAD_SECONDS
        await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
        return booking

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
        finish = functools.partial(self._finish, row)
        if error.failure is Failure.RETRY_AFTER:  # the chat waits, every row of it; other chats go on
            hold = error.retry_after if row.action != OutboxAction.ANSWER else 0.0
            await finish(status=OutboxStatus.PENDING, error=error.reason, delay=error.retry_after, hold=hold)
        elif error.failure is Failure.TRANSIENT or (
            error.failure is Failure.UNCERTAIN and row.action != OutboxAction.SEND
        ):
            attempts = row.attempts + 1
            if attempts >= self._max_attempts:
                reason = f"gave up after {attempts} attempts: {error.reason}"
                await finish(status=OutboxStatus.FAILED, error=reason, attempts=attempts)
            else:
                await finish(
                    status=OutboxStatus.PENDING, error=error.reason, attempts=attempts, delay=backoff(attempts)
                )
        elif error.failure is Failure.UNCERTAIN:
            await finish(status=OutboxStatus.UNCERTAIN, error=error.reason)
        elif error.failure is Failure.CHAT_GONE and not transport.is_group(row.chat_id):
            reason = f"refused privately, sent to the group route if the row has one: {error.reason}"
            await finish(status=OutboxStatus.FAILED, error=reason, private_refused=True)
        else:
            await finish(status=OutboxStatus.FAILED, error=error.reason, chat_gone=error.failure is Failure.CHAT_GONE)

    async def _finish(
        self,
        row: OutboxMessage,
        *,
        status: OutboxStatus,
        error: str | None = None,
        message_id: str | None = None,
        attempts: int | None = None,
        delay: float = 0.0,
        hold: float = 0.0,
        chat_gone: bool = False,
        private_opened: bool = False,
        private_refused: bool = False,
    ) -> None:
        """Record the outcome of one delivery in its own transaction; the chat's turn passing when the row is done
        with, what a private send taught about the person's private chat, the group route of a refused one
        (models/reach.py) and a chat's `hold` (a 429) go in the same one."""
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
            elif row.action != OutboxAction.ANSWER:
                await pass_the_turn(session, platform=row.platform, chat_id=row.chat_id)
            if hold > 0:
                await hold_chat(session, platform=row.platform, chat_id=row.chat_id, seconds=hold)
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
