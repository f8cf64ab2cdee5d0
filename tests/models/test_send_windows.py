"""Bookings in the shared send windows: a request counts from its booked departure until a window's length after its
answer, so a late departure or a slow answer can never let one more land inside the platform's window; a group's
minute fills; a sender that died leaves nothing counted for ever."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.db import SessionFactory, unit_of_work
from models.send_windows import (
    WHOLE_BOT,
    WIRE_SECONDS,
    Answer,
    Booking,
    Limit,
    SendWindow,
    Wanted,
    book_departures,
    next_departure,
    recent,
)

BOT = Limit(count=2, seconds=1.0)
GROUP = Limit(count=3, seconds=60.0)


async def book(
    sessions: SessionFactory, wanted: list[Wanted], answered: list[Answer] | None = None, bot: Limit = BOT
) -> list[Booking | None]:
    async with unit_of_work(sessions) as session:
        return await book_departures(session, bot=bot, wanted=wanted, answered=answered or [])


async def entries(sessions: SessionFactory, scope: str) -> list[list[float | None]]:
    async with sessions() as session:
        query = select(SendWindow.departures).where(SendWindow.platform == "telegram", SendWindow.scope == scope)
        return list((await session.exec(query)).one())


def test_a_request_without_an_answer_holds_its_place_however_long_it_takes() -> None:
    assert next_departure([[10.0, None], [10.1, None]], 50.0, BOT) is None  # both may still arrive at any moment
    assert next_departure([[10.0, None], [10.1, 12.0]], 12.5, BOT) == 13.0  # a second after the answer
    assert next_departure([[10.0, None]], 12.5, BOT) == 12.5
    assert next_departure([], 3.0, Limit(count=2, seconds=1.0, spacing=0.5)) == 3.0
    assert next_departure([[3.0, None]], 3.0, Limit(count=2, seconds=1.0, spacing=0.5)) == 3.5


def test_only_what_can_still_hold_a_booking_back_is_kept_and_a_dead_senders_request_expires() -> None:
    kept = recent([[1.0, 2.0], [5.0, 9.5], [9.0, None], [10.0 - WIRE_SECONDS, None], 7.0], 10.0, BOT)
    assert kept == [[5.0, 9.5], [9.0, None], [10.0 - WIRE_SECONDS, 10.0]]  # the dead one counts a second more
    assert recent([[50.0, None]], 50.0 + WIRE_SECONDS, GROUP) == [[50.0, 50.0 + WIRE_SECONDS]]


async def test_the_bot_books_no_third_place_before_an_answer_then_a_second_after_it(sessions: SessionFactory) -> None:
    private = [Wanted("telegram", str(n)) for n in (1, 2, 3)]
    first, second, third = await book(sessions, private)
    assert first is not None and second is not None and third is None
    answered_at = time.monotonic()
    (again,) = await book(sessions, private[2:], [Answer(first, answered_at)])
    assert again is not None and again.wait is not None
    assert again.wait >= 1.0 - (time.monotonic() - answered_at) - 0.05
    assert [entry[1] is not None for entry in await entries(sessions, WHOLE_BOT)] == [True, False, False]


async def test_a_full_group_minute_sends_its_row_back_with_the_wait(sessions: SessionFactory) -> None:
    group = Wanted("telegram", "-100", GROUP)
    roomy = Limit(count=100, seconds=1.0, spacing=0.01)
    booked = [b for _ in range(3) for b in await book(sessions, [group], bot=roomy)]
    assert all(b is not None and b.wait is not None for b in booked)
    answers = [Answer(b, time.monotonic()) for b in booked if b is not None]
    (full,) = await book(sessions, [group], answers, bot=roomy)
    assert full is not None and full.wait is None and 59.0 < full.room_in <= 60.0
    assert all(entry[1] is not None for entry in await entries(sessions, "-100"))
