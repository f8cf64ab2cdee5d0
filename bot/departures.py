"""One sender's bookings of departures, made in rounds: every row waiting for a departure and every answer that came
back since the last round go into one short transaction on the shared windows (models/send_windows.py), so the
bot's one hot row sees a few transactions a second per sender however many rows are in flight."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog

from bot.db import SessionFactory
from models.send_windows import Answer, Booking, Limit, Wanted, book_departures

log = structlog.get_logger(__name__)
BOT_BUSY_SECONDS = 0.05  # every place in the bot's second booked or on the wire: another sender's answer may free one


@dataclass
class Request:
    wanted: Wanted
    booked: asyncio.Future[Booking] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Departures:
    """Books departures for the rows of one sender and records their answers, in rounds run by one task."""

    def __init__(self, sessions: SessionFactory, bot: Limit) -> None:
        self._sessions, self._bot = sessions, bot
        self._waiting: list[Request] = []
        self._answered: list[Answer] = []
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="outbox-departures")

    async def stop(self) -> None:
        """Record the answers still unrecorded, then stop (call once no row waits for a departure)."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner

    async def book(self, wanted: Wanted) -> Booking:
        """A departure for one row: booked (`wait` set) or refused for its chat (`wait` None, `room_in`)."""
        request = Request(wanted)
        self._waiting.append(request)
        self._wake.set()
        return await request.booked

    def answered(self, booking: Booking, at: float) -> None:
        """The request booked by `booking` was done with at the monotonic instant `at`; recorded in the next round."""
        self._answered.append(Answer(booking, at))
        self._wake.set()

    async def _run(self) -> None:
        while not (self._stopping and not self._answered and not self._waiting):
            if not self._waiting and not self._answered:
                await self._wake.wait()
            self._wake.clear()
            booked_any = await self._round()
            if self._waiting and not booked_any and not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), BOT_BUSY_SECONDS)

    async def _round(self) -> bool:
        """Record the answers and book what the windows allow; the rest waits for the next round. Whether any row
        got its answer (a booking or a refusal)."""
        waiting, answered = self._waiting, self._answered
        self._waiting, self._answered = [], []
        try:
            async with self._sessions() as session, session.begin():
                bookings = await book_departures(
                    session, bot=self._bot, wanted=[r.wanted for r in waiting], answered=answered
                )
        except Exception as error:  # the rows' deliveries fail (and log) with it; the answers wait for the next round
            log.warning("outbox.booking_failed", error=str(error)[:200])
            for request in waiting:
                request.booked.set_exception(error)
            if not self._stopping:  # when stopping, unrecorded answers count until WIRE_SECONDS (the safe side)
                self._answered = answered + self._answered
                await asyncio.sleep(BOT_BUSY_SECONDS)
            return True
        for request, booking in zip(waiting, bookings, strict=True):
            if booking is not None:
                request.booked.set_result(booking)
        self._waiting = [r for r, b in zip(waiting, bookings, strict=True) if b is None] + self._waiting
        return any(booking is not None for booking in bookings)
