"""How fast one member sends commands in one group, so a flood of commands cannot become a queue of replies
(docs/decisions/0014-command-flood-and-uncertain-edits.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime

WINDOW = timedelta(minutes=1)


class Pace(StrEnum):
    GO = "go"  # answer as usual
    PAUSE = "pause"  # one too many: say once that the bot pauses for this member
    QUIET = "quiet"  # paused: say nothing


class CommandPace(SQLModel, table=True):
    """One member's commands in one group: how many in the current minute, and until when the bot stays quiet."""

    __tablename__ = "command_pace"

    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = Field(sa_type=UTCDateTime)
    count: int = 0
    quiet_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


async def pace_command(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    now: datetime,
    per_minute: int,
    quiet: timedelta,
) -> Pace:
    """Count one command of this member in this group: GO up to `per_minute` in a minute, then PAUSE once and
    QUIET until `quiet` has passed; afterwards a new minute starts."""
    row = await session.get(CommandPace, (platform, chat_id, user_id))
    if row is None:
        session.add(CommandPace(platform=platform, chat_id=chat_id, user_id=user_id, window_started_at=now, count=1))
        return Pace.GO
    if row.quiet_until is not None and now < row.quiet_until:
        return Pace.QUIET
    if row.quiet_until is not None or now - row.window_started_at >= WINDOW:
        row.window_started_at, row.count, row.quiet_until = now, 1, None
        return Pace.GO
    row.count += 1
    if row.count <= per_minute:
        return Pace.GO
    row.quiet_until = now + quiet
    return Pace.PAUSE


async def forget_paces(session: AsyncSession, *, before: datetime) -> None:
    """Counts of minutes long past are of no use (and name who wrote where): dropped with the processed updates."""
    await session.exec(delete(CommandPace).where(col(CommandPace.window_started_at) < before))
