"""The raw-update inbox: every platform update is written here before the platform is told it arrived, then
processed from here in per-chat order; an update that keeps failing is set aside with its reason."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import NamedTuple

from sqlalchemy import Index, Select, Text, UniqueConstraint, bindparam, delete, func, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import UTCDateTime, utcnow


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SET_ASIDE = "set_aside"  # unparseable, or failed too often: kept for the operator (`python -m bot inbox list`)


class InboxUpdate(SQLModel, table=True):
    """One update as it arrived (JSON text, ASCII-escaped); `chat_key` orders the updates of one chat."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        UniqueConstraint("platform", "delivery_key"),
        Index("ix_inbox_update_due", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    delivery_key: str = Field(max_length=64)  # the platform's id of this delivery (bot + update id)
    chat_key: str = Field(default="", max_length=64)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=InboxStatus.PENDING, max_length=12)
    attempts: int = 0
    reason: str | None = Field(default=None, max_length=200)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class Arrival:
    """An update as it arrived, before it is stored: the values of its inbox row, as a plain object (an ORM row
    costs more to build than the rest of the arrival together)."""

    platform: str
    delivery_key: str
    chat_key: str
    raw: str
    received_at: datetime
    status: str = InboxStatus.PENDING
    reason: str | None = None
    finished_at: datetime | None = None

    def values(self) -> dict[str, object]:
        """The inbox row's columns (all of them but the id, so that every row of a batch has the same keys)."""
        return {
            "platform": self.platform,
            "delivery_key": self.delivery_key,
            "chat_key": self.chat_key,
            "raw": self.raw,
            "status": self.status,
            "attempts": 0,
            "reason": self.reason,
            "next_attempt_at": None,
            "received_at": self.received_at,
            "finished_at": self.finished_at,
        }


class DueUpdate(NamedTuple):
    """What processing reads of a pending inbox row (plain values, not an ORM row: nothing writes through it)."""

    id: int
    delivery_key: str
    chat_key: str
    raw: str
    attempts: int


class ErrorReply(SQLModel, table=True):
    """When a chat last got the bot's apology, so a chat hears it at most once a minute."""

    __tablename__ = "error_reply"

    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)
    sent_at: datetime = Field(sa_type=UTCDateTime)


async def add_to_inbox(session: AsyncSession, rows: Sequence[Arrival]) -> list[Arrival]:
    """Add the rows whose delivery is not in the inbox yet (a platform redelivers), in one statement; returns those
    (their ids are not read back)."""
    if not rows:
        return []
    platform = rows[0].platform
    keys = [row.delivery_key for row in rows]
    known = set((await session.exec(known_deliveries_query(), params={"platform": platform, "keys": keys})).all())
    fresh = {row.delivery_key: row for row in rows if row.delivery_key not in known}
    if fresh:
        values = [row.values() for row in fresh.values()]
        await (await session.connection()).execute(insert(InboxUpdate), values)  # one statement, many rows
    return list(fresh.values())


@cache
def known_deliveries_query() -> SelectOfScalar[str]:
    """`add_to_inbox`'s look-up of deliveries already in the inbox, built once: the values are bound."""
    return select(InboxUpdate.delivery_key).where(
        InboxUpdate.platform == bindparam("platform"),
        col(InboxUpdate.delivery_key).in_(bindparam("keys", expanding=True)),
    )


async def due_updates(
    session: AsyncSession, *, now: datetime, limit: int, per_chat: int, chat_keys: Sequence[str] | None = None
) -> list[DueUpdate]:
    """Pending updates (of these chats, if given) taken in turns: every chat's oldest first, then every chat's
    second …, at most `per_chat` of one chat, each chat's in arrival order; a chat whose oldest pending update waits
    for a retry is left out. One busy chat cannot hold up the others."""
    values: dict[str, object] = {"now": now, "limit": limit, "per_chat": per_chat}
    if chat_keys is not None:
        values["chat_keys"] = list(chat_keys)
    query = due_query(of_chats=chat_keys is not None)
    rows = (await (await session.connection()).execute(query, values)).all()  # past the ORM: nothing writes through
    return [DueUpdate(*row) for row in rows]


@cache
def due_query(*, of_chats: bool) -> Select[tuple[int | None, str, str, str, int]]:
    """`due_updates`'s statement, built once (building it cost more than running it): the values are bound."""
    waiting = select(InboxUpdate.chat_key).where(
        InboxUpdate.status == InboxStatus.PENDING, col(InboxUpdate.next_attempt_at) > bindparam("now")
    )
    turn = func.row_number().over(partition_by=col(InboxUpdate.chat_key), order_by=col(InboxUpdate.id))
    pending: Select[tuple[int, int]] = select(col(InboxUpdate.id).label("id"), turn.label("turn")).where(
        InboxUpdate.status == InboxStatus.PENDING, col(InboxUpdate.chat_key).not_in(waiting)
    )
    if of_chats:
        pending = pending.where(col(InboxUpdate.chat_key).in_(bindparam("chat_keys", expanding=True)))
    ranked = pending.subquery()
    return (
        select_columns(
            col(InboxUpdate.id),
            col(InboxUpdate.delivery_key),
            col(InboxUpdate.chat_key),
            col(InboxUpdate.raw),
            col(InboxUpdate.attempts),
        )
        .join(ranked, ranked.c.id == InboxUpdate.id)
        .where(ranked.c.turn <= bindparam("per_chat"))
        .order_by(ranked.c.turn, col(InboxUpdate.id))
        .limit(bindparam("limit"))
    )


async def inbox_update(session: AsyncSession, *, update_id: int) -> InboxUpdate | None:
    return await session.get(InboxUpdate, update_id)


async def finish_updates(
    session: AsyncSession,
    *,
    update_ids: Sequence[int],
    status: InboxStatus,
    now: datetime,
    reason: str | None = None,
    attempts: int | None = None,
) -> None:
    """Mark these updates finished (done, or set aside with the reason) in the caller's transaction: one statement
    for a whole batch, and in the same transaction as the updates' own effects."""
    if not update_ids:
        return
    values: dict[str, object] = {"status": status, "finished_at": now}
    if reason is not None:
        values["reason"] = reason[:200]
    if attempts is not None:
        values["attempts"] = attempts
    await session.exec(update(InboxUpdate).where(col(InboxUpdate.id).in_(update_ids)).values(**values))


async def set_aside_updates(session: AsyncSession, *, limit: int = 100) -> Sequence[InboxUpdate]:
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.SET_ASIDE)
        .order_by(col(InboxUpdate.id).desc())
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def count_inbox(session: AsyncSession) -> dict[str, int]:
    query = select(InboxUpdate.status, func.count()).group_by(col(InboxUpdate.status))
    return dict((await session.exec(query)).all())


async def forget_done(session: AsyncSession, *, before: datetime) -> None:
    """Processed updates are kept a while (for an operator's questions), then dropped: they hold residents' text."""
    await session.exec(
        delete(InboxUpdate).where(col(InboxUpdate.status) == InboxStatus.DONE, col(InboxUpdate.finished_at) < before)
    )


async def may_reply_error(session: AsyncSession, *, platform: str, chat_id: str, now: datetime) -> bool:
    """True (and noted) if this chat has not had an apology in the last minute."""
    row = await session.get(ErrorReply, (platform, chat_id))
    if row is None:
        session.add(ErrorReply(platform=platform, chat_id=chat_id, sent_at=now))
        return True
    if now - row.sent_at < timedelta(minutes=1):
        return False
    row.sent_at = now
    return True
