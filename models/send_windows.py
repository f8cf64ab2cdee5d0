"""The platforms' send limits, shared by every sender on the database: the recent departures of the bot as a whole
and of each group, kept in rows that senders lock while they book a departure (so the windows also continue across
restarts), and the chats a platform asked to wait (a 429's retry_after holds that chat, no other)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import JSON, Column, Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import on_postgres

WHOLE_BOT = "*"  # the scope of a platform's per-bot limit; any other scope is a chat id


class SendWindow(SQLModel, table=True):
    """The latest departures (seconds since the epoch on the database's clock, oldest first) in one scope."""

    __tablename__ = "send_window"

    platform: str = Field(primary_key=True, max_length=16)
    scope: str = Field(primary_key=True, max_length=64)
    departures: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    held_until: float | None = None  # a 429 for this chat: nothing leaves for it before then (database clock)


@dataclass(frozen=True)
class Limit:
    """At most `count` departures in any `seconds`, and (for the bot as a whole) `spacing` seconds apart."""

    count: int
    seconds: float
    spacing: float = 0.0


@dataclass(frozen=True)
class Booking:
    """A booked departure `wait` seconds from now, or (`wait` None) a chat without room for `room_in` seconds."""

    wait: float | None
    room_in: float = 0.0
    read_at: float = 0.0
    """The monotonic instant the database's clock was read: `wait` counts from then, not from the commit."""
    at: float = 0.0
    """The booked instant on the database's clock, as the windows hold it (to give it back, `release_departure`)."""


def next_departure(departures: list[float], now: float, limit: Limit) -> float:
    """The earliest instant from `now` on at which one more departure stays within `limit`."""
    at = now
    if departures:
        at = max(at, departures[-1] + limit.spacing)
    if len(departures) >= limit.count:
        at = max(at, departures[-limit.count] + limit.seconds)
    return at


def recent(departures: list[float], limit: Limit) -> list[float]:
    """The departures a later booking can still be held back by: the last `count`."""
    return departures[-limit.count :]


async def book_departure(
    session: AsyncSession, *, platform: str, bot: Limit, chat_id: str | None = None, chat: Limit | None = None
) -> Booking:
    """Book the next departure of this platform's bot (and, for a group, within `chat`, the group's limit) in the
    caller's transaction.

    A chat the platform asked to wait (`hold_chat`), or a group whose window is full, gets no booking, only when it
    has room again: the caller puts the row back rather than wait, so the chat holds back no other chat. The rows
    are locked (PostgreSQL) or the transaction holds the write lock (SQLite), so two senders never book the same
    slot; times come from the database's clock."""
    chat_window = None
    if chat_id is not None and chat is not None:
        chat_window = await locked_window(session, platform=platform, scope=chat_id)
    bot_window = await locked_window(session, platform=platform, scope=WHOLE_BOT)
    now = await database_clock(session)
    read_at = time.monotonic()
    held_until = (
        chat_window.held_until
        if chat_window is not None
        else await hold_of(session, platform=platform, chat_id=chat_id)
    )
    if held_until is not None and held_until > now:
        return Booking(wait=None, room_in=held_until - now)
    at = next_departure(bot_window.departures, now, bot)
    if chat_window is not None and chat is not None:
        room_at = next_departure(chat_window.departures, now, chat)
        if room_at > now:
            return Booking(wait=None, room_in=room_at - now)
        chat_window.departures = recent([*chat_window.departures, at], chat)
    bot_window.departures = recent([*bot_window.departures, at], bot)
    return Booking(wait=at - now, read_at=read_at, at=at)


async def release_departure(session: AsyncSession, *, platform: str, group_id: str, at: float) -> None:
    """Give a group back a booked departure nobody took (its sender woke too late and books again): an untaken slot
    held one of the group's 20 a minute for nothing. The bot's window keeps it: there a missed slot costs a second
    at most, and the gap it leaves is slack against jitter."""
    window = await locked_window(session, platform=platform, scope=group_id)
    if at in window.departures:
        departures = list(window.departures)
        departures.remove(at)
        window.departures = departures


async def hold_of(session: AsyncSession, *, platform: str, chat_id: str | None) -> float | None:
    """Until when the platform asked a chat without a window of its own (a private chat) to wait, if it did."""
    if chat_id is None:
        return None
    query = select(SendWindow.held_until).where(SendWindow.platform == platform, SendWindow.scope == chat_id)
    return (await session.exec(query)).first()


async def hold_chat(session: AsyncSession, *, platform: str, chat_id: str, seconds: float) -> None:
    """A 429 for this chat: nothing more leaves for it (sends, edits) for `seconds`; other chats go on."""
    window = await locked_window(session, platform=platform, scope=chat_id)
    until = await database_clock(session) + seconds
    window.held_until = max(until, window.held_until or 0.0)


async def locked_window(session: AsyncSession, *, platform: str, scope: str) -> SendWindow:
    """The window of one scope, created when first used, locked for the transaction."""
    insert: Any = postgresql_insert if on_postgres(session) else sqlite_insert
    await session.exec(
        insert(SendWindow).values(platform=platform, scope=scope, departures=[]).on_conflict_do_nothing()
    )
    query = select(SendWindow).where(SendWindow.platform == platform, SendWindow.scope == scope).with_for_update()
    return (await session.exec(query.execution_options(populate_existing=True))).one()


async def database_clock(session: AsyncSession) -> float:
    """Now, in seconds since the epoch, on the one clock every sender shares: PostgreSQL's (SQLite serves one
    process, whose clock it is)."""
    if not on_postgres(session):
        return time.time()
    result = await session.exec(text("SELECT extract(epoch FROM clock_timestamp())"))  # type: ignore[call-overload]
    return float(result.scalar_one())
