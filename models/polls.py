"""Polls and short surveys sent to chosen groups, and the 需求清单 residents add to and +1."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint, delete, func
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow


class PollStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Poll(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id")
    question: str = Field(max_length=200)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    multiple: bool = False
    anonymous: bool = True
    per_household: bool = False
    days: int = 3
    scope_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PollStatus.DRAFT, max_length=8, index=True)
    card_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded: bool = False
    next_timer_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PollVote(SQLModel, table=True):
    """One choice of one voter; `voter` is p:<person> or h:<household> (one vote per household)."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "voter", "option"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    voter: str = Field(max_length=24)
    option: int
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def poll_by_id(session: AsyncSession, *, poll_id: int) -> Poll | None:
    return await session.get(Poll, poll_id)


async def votes_of(session: AsyncSession, *, poll_id: int, voter: str) -> list[PollVote]:
    query = select(PollVote).where(PollVote.poll_id == poll_id, PollVote.voter == voter)
    return list((await session.exec(query)).all())


async def cast_vote(
    session: AsyncSession, *, poll: Poll, voter: str, option: int, person_id: int, now: datetime
) -> bool:
    """Single choice: this option replaces the voter's; multiple: toggles it. True if the option is now chosen."""
    mine = await votes_of(session, poll_id=poll.id or 0, voter=voter)
    had = any(v.option == option for v in mine)
    if poll.multiple and had:
        await session.exec(
            delete(PollVote).where(
                col(PollVote.poll_id) == poll.id, col(PollVote.voter) == voter, col(PollVote.option) == option
            )
        )
        return False
    if not poll.multiple:
        if had:
            return True
        await session.exec(delete(PollVote).where(col(PollVote.poll_id) == poll.id, col(PollVote.voter) == voter))
    session.add(PollVote(poll_id=poll.id or 0, voter=voter, option=option, person_id=person_id, created_at=now))
    await session.flush()
    return True


async def poll_counts(session: AsyncSession, *, poll_id: int) -> dict[int, int]:
    query = select(PollVote.option, func.count()).where(PollVote.poll_id == poll_id).group_by(col(PollVote.option))
    return {option: int(count) for option, count in (await session.exec(query)).all()}


async def poll_votes(session: AsyncSession, *, poll_id: int) -> list[PollVote]:
    query = select(PollVote).where(PollVote.poll_id == poll_id).order_by(col(PollVote.option), col(PollVote.id))
    return list((await session.exec(query)).all())


async def polls_due(session: AsyncSession, *, now: datetime) -> list[Poll]:
    query = select(Poll).where(Poll.status == PollStatus.OPEN, col(Poll.next_timer_at) <= now)
    return list((await session.exec(query.order_by(col(Poll.next_timer_at)))).all())


# ---- 需求清单 ------------------------------------------------------------------------------------------------------


class NeedStatus(StrEnum):
    OPEN = "open"
    PLANNED = "planned"  # 已立项
    DONE = "done"  # 已完成


class Need(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    author_id: int = Field(foreign_key="person.id")
    text: str = Field(max_length=200)
    status: str = Field(default=NeedStatus.OPEN, max_length=8)
    chat_id: int | None = Field(default=None, foreign_key="chat.id")
    card_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NeedSupport(SQLModel, table=True):
    """A resident's +1 on a need (the author counts as the first)."""

    __tablename__ = "need_support"
    __table_args__ = (UniqueConstraint("need_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def need_by_id(session: AsyncSession, *, need_id: int) -> Need | None:
    return await session.get(Need, need_id)


async def support_need(session: AsyncSession, *, need_id: int, person_id: int, now: datetime) -> bool:
    """+1; False if this person already supported it."""
    query = select(NeedSupport).where(NeedSupport.need_id == need_id, NeedSupport.person_id == person_id)
    if (await session.exec(query)).first() is not None:
        return False
    session.add(NeedSupport(need_id=need_id, person_id=person_id, created_at=now))
    await session.flush()
    return True


async def support_count(session: AsyncSession, *, need_id: int) -> int:
    query = select(func.count()).select_from(NeedSupport).where(NeedSupport.need_id == need_id)
    return int((await session.exec(query)).one())


async def ranked_needs(session: AsyncSession, *, community_id: int, limit: int = 20) -> list[tuple[Need, int]]:
    """The community's needs not yet done, most supported first (then oldest)."""
    supports = func.count(col(NeedSupport.id))
    query = (
        select(Need, supports)
        .outerjoin(NeedSupport, col(NeedSupport.need_id) == col(Need.id))
        .where(Need.community_id == community_id, Need.status != NeedStatus.DONE)
        .group_by(col(Need.id))
        .order_by(supports.desc(), col(Need.id))
        .limit(limit)
    )
    return [(need, int(count)) for need, count in (await session.exec(query)).all()]
