"""Booked departures in the shared send windows: a group's minute fills, and a slot given back (its sender woke too
late to take it) makes room in the group's window again; the bot's window keeps it (the safe side)."""

from __future__ import annotations

from sqlmodel import select

from bot.db import SessionFactory, unit_of_work
from models.send_windows import WHOLE_BOT, Booking, Limit, SendWindow, book_departure, release_departure

BOT = Limit(count=1000, seconds=1.0)
GROUP = Limit(count=3, seconds=60.0)


async def book(sessions: SessionFactory, chat_id: str = "-100") -> Booking:
    async with unit_of_work(sessions) as session:
        return await book_departure(session, platform="telegram", bot=BOT, chat_id=chat_id, chat=GROUP)


async def departures(sessions: SessionFactory, scope: str) -> list[float]:
    async with sessions() as session:
        query = select(SendWindow.departures).where(SendWindow.platform == "telegram", SendWindow.scope == scope)
        return list((await session.exec(query)).one())


async def test_a_slot_given_back_makes_room_in_a_full_group_minute(sessions: SessionFactory) -> None:
    booked = [await book(sessions) for _ in range(3)]
    assert all(b.wait is not None for b in booked)
    assert (await book(sessions)).wait is None  # the group's minute is full

    async with unit_of_work(sessions) as session:
        await release_departure(session, platform="telegram", group_id="-100", at=booked[-1].at)
    assert booked[-1].at not in await departures(sessions, "-100")
    assert booked[-1].at in await departures(sessions, WHOLE_BOT)
    assert (await book(sessions)).wait is not None


async def test_giving_back_a_slot_the_windows_no_longer_hold_changes_nothing(sessions: SessionFactory) -> None:
    first = await book(sessions, chat_id="-200")
    async with unit_of_work(sessions) as session:
        await release_departure(session, platform="telegram", group_id="-200", at=first.at - 5.0)
    assert await departures(sessions, "-200") == [first.at]
    assert await departures(sessions, WHOLE_BOT) == [first.at]
