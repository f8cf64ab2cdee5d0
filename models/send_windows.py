"""The platforms' send limits, shared by every sender on the database: the recent requests of the bot as a whole and
of each group, kept in rows that senders lock while they book a departure or record an answer (so the windows also
continue across restarts), and the chats a platform asked to wait (a 429's retry_after holds that chat, no other).

A request counts from its booked departure until `seconds` after its answer came back: the platform counted it on
arrival, somewhere in between, so however late a request leaves or arrives (a busy machine, the network) no later
booking can land inside the same window (docs/decisions/0020-roles-and-shared-limits.md)."""

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import on_postgres

WHOLE_BOT = "*"  # the scope of a platform's per-bot limit; any other scope is a chat id
WIRE_SECONDS = 30.0  # no request stays on the wire longer (the transports time out well before)
CHAT_BUSY_SECONDS = 1.0  # a group whose every place is on the wire asks again after this


class SendWindow(SQLModel, table=True):
    """The requests of one scope the platform may still be counting: `[taken_at, answered_at]` each (seconds since
    the epoch on the database's clock; `answered_at` null while the request is booked or on the wire)."""

    __tablename__ = "send_window"

    platform: str = Field(primary_key=True, max_length=16)
    scope: str = Field(primary_key=True, max_length=64)
    departures: list[list[float | None]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    held_until: float | None = None  # a 429 for this chat: nothing leaves for it before then (database clock)


@dataclass(frozen=True)
class Limit:
    """At most `count` requests arriving in any `seconds`, and (for the bot as a whole) `spacing` seconds apart."""

    count: int
    seconds: float
    spacing: float = 0.0


@dataclass(frozen=True)
class Wanted:
    """A departure a sender wants for one row: to `chat_id`, within `chat` when the chat is a group."""

    platform: str
    chat_id: str
    chat: Limit | None = None


@dataclass(frozen=True)
class Booking:
    """A booked departure `wait` seconds from now; or none (`wait` None): the chat has no room for `room_in` seconds
    (a group's full minute, a 429)."""

    wait: float | None
    room_in: float = 0.0
    read_at: float = 0.0
    """The monotonic instant the database's clock was read: `wait` counts from then, not from the commit."""
    at: float = 0.0
    """The booked instant on the database's clock, as the windows hold it (to record its answer)."""
    platform: str = ""
    group_id: str | None = None
    """The group whose window holds the booking too."""


@dataclass(frozen=True)
class Answer:
    """The request booked by `booking` was done with (answered, refused, given up on) at the monotonic instant `at`."""

    booking: Booking
    at: float


def free_at(entry: list[float | None], limit: Limit) -> float | None:
    """When a request stops counting: `seconds` after its answer came back (it arrived before that); None while it
    has no answer (it may arrive at any moment)."""
    answered_at = entry[1]
    return None if answered_at is None else answered_at + limit.seconds


def next_departure(entries: list[list[float | None]], now: float, limit: Limit) -> float | None:
    """The earliest instant from `now` on at which one more request is sure to stay within `limit` however late
    each of `entries` arrives; None while `count` of them have no answer yet (the next answer decides)."""
    unanswered = sum(1 for entry in entries if entry[1] is None)
    places = limit.count - unanswered
    if places <= 0:
        return None
    frees = sorted(t for t in (free_at(entry, limit) for entry in entries) if t is not None)
    at = now if len(frees) < places else max(now, frees[len(frees) - places])
    if entries and limit.spacing:
        at = max(at, max(float(entry[0] or 0.0) for entry in entries) + limit.spacing)
    return at


def recent(entries: list[list[float | None]], now: float, limit: Limit) -> list[list[float | None]]:
    """The entries a booking from `now` on can still be held back by. A request without an answer WIRE_SECONDS
    after its booking belonged to a sender that died: it counts as answered then (it had arrived by then, if ever)."""
    kept = []
    for entry in map(upgraded, entries):
        taken_at, answered_at = entry
        if answered_at is None and taken_at is not None and taken_at + WIRE_SECONDS <= now:
            entry = [taken_at, taken_at + WIRE_SECONDS]
        freed = free_at(entry, limit)
        if freed is None or freed > now:
            kept.append(entry)
    return kept


def upgraded(entry: Any) -> list[float | None]:
    """An entry as this module keeps it; windows written before answers were recorded hold bare departures."""
    return list(entry) if isinstance(entry, list) else [entry, entry]


async def book_departures(
    session: AsyncSession, *, bot: Limit, wanted: list[Wanted], answered: list[Answer]
) -> list[Booking | None]:
    """In the caller's transaction, record that the requests of `answered` are done with (answered, refused or given
    up on: the platform had counted them by then if it ever will), then book each of `wanted` in order: a departure
    within its platform's `bot` limit and, for a group, within its `chat` limit; None where every place in the
    bot's second is booked or on the wire (an answer will free one: ask again).

    A chat the platform asked to wait (`hold_chat`), or a group whose window is full, gets no booking, only when it
    has room again: the caller puts the row back rather than wait, so the chat holds back no other chat. The rows
    are locked, the groups' in order and then the bots' (PostgreSQL; on SQLite the transaction holds the write
    lock), so senders never book the same place nor deadlock; times come from the database's clock."""
    platforms = sorted({w.platform for w in wanted} | {a.booking.platform for a in answered})
    windows: dict[tuple[str, str], SendWindow] = {}
    for platform in platforms:
        groups = {w.chat_id for w in wanted if w.platform == platform and w.chat is not None}
        groups |= {a.booking.group_id for a in answered if a.booking.platform == platform and a.booking.group_id}
        windows |= await locked_windows(session, platform=platform, scopes=sorted(groups))
        windows |= await locked_windows(session, platform=platform, scopes=[WHOLE_BOT])
    asked_at = time.monotonic()
    now = await database_clock(session)
    read_at = time.monotonic()
    for done in answered:  # `now` is no earlier than `asked_at`, so each stamp is no earlier than its answer
        booking = done.booking
        for scope in (booking.group_id, WHOLE_BOT):
            if scope is not None:
                window = windows[booking.platform, scope]
                window.departures = answer(window.departures, booking.at, now - (asked_at - done.at))
    holds = await holds_of(session, chats={(w.platform, w.chat_id) for w in wanted if w.chat is None})
    limits = {(w.platform, w.chat_id): w.chat for w in wanted if w.chat is not None}
    limits |= {(platform, WHOLE_BOT): bot for platform in platforms}
    for key, limit in limits.items():  # a group here only for an answer is pruned at its next booking
        if key in windows:
            windows[key].departures = recent(windows[key].departures, now, limit)
    return [book_one(w, windows, holds, bot, now, read_at) for w in wanted]


def book_one(
    wanted: Wanted,
    windows: dict[tuple[str, str], SendWindow],
    holds: dict[tuple[str, str], float],
    bot: Limit,
    now: float,
    read_at: float,
) -> Booking | None:
    """One departure booked into the locked `windows` (see `book_departures`)."""
    chat_window = windows.get((wanted.platform, wanted.chat_id)) if wanted.chat is not None else None
    held_until = chat_window.held_until if chat_window is not None else holds.get((wanted.platform, wanted.chat_id))
    if held_until is not None and held_until > now:
        return Booking(wait=None, room_in=held_until - now)
    if chat_window is not None and wanted.chat is not None:
        room_at = next_departure(chat_window.departures, now, wanted.chat)
        if room_at is None or room_at > now:
            return Booking(wait=None, room_in=CHAT_BUSY_SECONDS if room_at is None else room_at - now)
    bot_window = windows[wanted.platform, WHOLE_BOT]
    at = next_departure(bot_window.departures, now, bot)
    if at is None:
        return None
    bot_window.departures = [*bot_window.departures, [at, None]]
    if chat_window is not None:
        chat_window.departures = [*chat_window.departures, [at, None]]
    group_id = None if chat_window is None else wanted.chat_id
    return Booking(wait=at - now, read_at=read_at, at=at, platform=wanted.platform, group_id=group_id)


def answer(entries: list[list[float | None]], taken_at: float, at: float) -> list[list[float | None]]:
    """The entries with the request booked at `taken_at` answered `at` (one of them, should two share the instant)."""
    entries = [upgraded(entry) for entry in entries]
    for entry in entries:
        if entry[0] == taken_at and entry[1] is None:
            entry[1] = at
            break
    return entries


async def holds_of(session: AsyncSession, *, chats: set[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Until when the platform asked chats without a window of their own (private chats) to wait, where it did."""
    if not chats:
        return {}
    query = select(SendWindow.platform, SendWindow.scope, SendWindow.held_until).where(
        tuple_(col(SendWindow.platform), col(SendWindow.scope)).in_(sorted(chats)),
        col(SendWindow.held_until).is_not(None),
    )
    return {(platform, scope): until for platform, scope, until in (await session.exec(query)).all() if until}


async def hold_chat(session: AsyncSession, *, platform: str, chat_id: str, seconds: float) -> None:
    """A 429 for this chat: nothing more leaves for it (sends, edits) for `seconds`; other chats go on."""
    window = await locked_window(session, platform=platform, scope=chat_id)
    until = await database_clock(session) + seconds
    window.held_until = max(until, window.held_until or 0.0)


async def locked_window(session: AsyncSession, *, platform: str, scope: str) -> SendWindow:
    """The window of one scope, created when first used, locked for the transaction."""
    return (await locked_windows(session, platform=platform, scopes=[scope]))[platform, scope]


async def locked_windows(
    session: AsyncSession, *, platform: str, scopes: list[str]
) -> dict[tuple[str, str], SendWindow]:
    """The windows of these scopes, created when first used, locked for the transaction in the order of `scopes`."""
    if not scopes:
        return {}
    insert: Any = postgresql_insert if on_postgres(session) else sqlite_insert
    rows = [{"platform": platform, "scope": scope, "departures": []} for scope in scopes]
    await session.exec(insert(SendWindow).values(rows).on_conflict_do_nothing())
    query = (
        select(SendWindow)
        .where(SendWindow.platform == platform, col(SendWindow.scope).in_(scopes))
        .order_by(col(SendWindow.scope))
        .with_for_update()
    )
    windows = (await session.exec(query.execution_options(populate_existing=True))).all()
    return {(window.platform, window.scope): window for window in windows}


async def database_clock(session: AsyncSession) -> float:
    """Now, in seconds since the epoch, on the one clock every sender shares: PostgreSQL's (SQLite serves one
    process, whose clock it is)."""
    if not on_postgres(session):
        return time.time()
    result = await session.exec(text("SELECT extract(epoch FROM clock_timestamp())"))  # type: ignore[call-overload]
    return float(result.scalar_one())
