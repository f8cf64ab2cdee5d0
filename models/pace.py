"""How fast one member sends commands in one group, so a flood of commands cannot become a queue of replies
(docs/decisions/0014-command-flood-and-uncertain-edits.md)."""

from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from sqlalchemy import TextualSelect, and_, bindparam, case, delete, null, or_
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, as_cached_text, database_name, upsert_insert

WINDOW = timedelta(minutes=1)


class Pace(StrEnum):
    GO = "go"  # answer as usual
    PAUSE = "pause"  # one too many: say once that the bot pauses for this member
    QUIET = "quiet"  # paused: say nothing


class CommandPace(SQLModel, table=True):
    """One member's commands in one group: how many in the current minute (0 once the pause was said), and until
    when the bot stays quiet."""

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
    QUIET until `quiet` has passed; afterwards a new minute starts. One upsert: the row is created the first time,
    else moved on from what it held (the SET sees the row before the change)."""
    values = {
        "platform": platform,
        "chat_id": chat_id,
        "user_id": user_id,
        "now": now,
        "minute_ago": now - WINDOW,
        "per_minute": per_minute,
        "quiet_end": now + quiet,
    }
    statement = pace_statement(database_name(session))
    counted, quiet_after = (await session.exec(statement, params=values)).one()  # type: ignore[call-overload]
    if quiet_after is None:
        return Pace.GO
    return Pace.QUIET if counted == 0 else Pace.PAUSE


@cache
def pace_statement(database: str) -> TextualSelect:
    """`pace_command`'s upsert for this database, built and compiled once (decision 0019): every value is bound."""
    started, count, quiet_until = (
        col(CommandPace.window_started_at),
        col(CommandPace.count),
        col(CommandPace.quiet_until),
    )
    now = bindparam("now", type_=UTCDateTime())
    is_quiet = and_(quiet_until.is_not(None), quiet_until > now)
    minute_ago = bindparam("minute_ago", type_=UTCDateTime())
    new_minute = or_(quiet_until.is_not(None), started <= minute_ago)  # a pause over, or a minute gone
    statement = (
        upsert_insert(database)(CommandPace)
        .values(
            platform=bindparam("platform"),
            chat_id=bindparam("chat_id"),
            user_id=bindparam("user_id"),
            window_started_at=now,
            count=1,
        )
        .on_conflict_do_update(
            index_elements=["platform", "chat_id", "user_id"],
            set_={
                "window_started_at": case((is_quiet, started), (new_minute, now), else_=started),
                "count": case((is_quiet, 0), (new_minute, 1), else_=count + 1),
                "quiet_until": case(
                    (is_quiet, quiet_until),
                    (new_minute, null()),
                    (count + 1 > bindparam("per_minute"), bindparam("quiet_end", type_=UTCDateTime())),
                    else_=null(),
                ),
            },
        )
        .returning(count, quiet_until)
    )
    return as_cached_text(statement, database)


async def forget_paces(session: AsyncSession, *, before: datetime) -> None:
    """Counts of minutes long past are of no use (and name who wrote where): dropped with the processed updates."""
    await session.exec(delete(CommandPace).where(col(CommandPace.window_started_at) < before))
