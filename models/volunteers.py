"""The volunteer force: profiles from 报到, 志愿服务队 teams, and help requests (点单) with their history."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CursorResult, UniqueConstraint, update
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow


class ProfileStatus(StrEnum):
    DRAFT = "draft"  # still answering the 报到 questions
    PENDING = "pending"  # waiting for staff
    APPROVED = "approved"
    REJECTED = "rejected"


class VolunteerProfile(SQLModel, table=True):
    """One person's 报到: as a volunteer or an 在职党员, what they can do, when, and where."""

    __tablename__ = "volunteer_profile"
    __table_args__ = (UniqueConstraint("person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    party_member: bool = False
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    availability: str = Field(default="", max_length=100)
    area_id: int | None = Field(default=None, foreign_key="place.id")
    home_id: int | None = Field(default=None, foreign_key="place.id")  # the building they registered from
    status: str = Field(default=ProfileStatus.DRAFT, max_length=12)
    step: str | None = Field(default=None, max_length=12)  # the 报到 question waiting for a typed answer
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Team(SQLModel, table=True):
    """A 志愿服务队: a named team of one skill in a community, with a leader and maybe its own group."""

    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    name: str = Field(max_length=40)
    skill: str = Field(default="", max_length=12)
    leader_id: int | None = Field(default=None, foreign_key="person.id")
    chat_id: int | None = Field(default=None, foreign_key="chat.id")
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("team_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HelpStatus(StrEnum):
    ASKING = "asking"  # the bot asked when
    OPEN = "open"  # 待接单
    TAKEN = "taken"  # 已接单
    DONE = "done"  # the volunteer says 已完成, waiting for the resident
    CONFIRMED = "confirmed"  # closed


class HelpRequest(SQLModel, table=True):
    """A resident's 点单 / 求助: what and when in public, the contact only for the volunteer who takes it."""

    __tablename__ = "help_request"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    building_id: int = Field(foreign_key="place.id")
    requester_id: int = Field(foreign_key="person.id", index=True)
    text: str = Field(max_length=300)
    contact: str = Field(default="", max_length=100)
    skill: str = Field(default="", max_length=12)
    when: str = Field(default="", max_length=12)
    status: str = Field(default=HelpStatus.ASKING, max_length=12, index=True)
    volunteer_id: int | None = Field(default=None, foreign_key="person.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    chat_id: int | None = Field(default=None, foreign_key="chat.id")
    card_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    escalated: bool = False
    next_timer_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HelpEvent(SQLModel, table=True):
    """Append-only: who did what to a help request, when."""

    __tablename__ = "help_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="help_request.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- profiles ---------------------------------------------------------------------------------------------------


async def profile_of(session: AsyncSession, *, person_id: int) -> VolunteerProfile | None:
    return (await session.exec(select(VolunteerProfile).where(VolunteerProfile.person_id == person_id))).first()


async def profile_by_id(session: AsyncSession, *, profile_id: int) -> VolunteerProfile | None:
    return await session.get(VolunteerProfile, profile_id)


# ---- teams --------------------------------------------------------------------------------------------------------


async def teams_in(session: AsyncSession, *, community_id: int) -> list[Team]:
    query = select(Team).where(Team.community_id == community_id).order_by(col(Team.id))
    return list((await session.exec(query)).all())


async def team_by_name(session: AsyncSession, *, community_id: int, name: str) -> Team | None:
    query = select(Team).where(Team.community_id == community_id, Team.name == name)
    return (await session.exec(query)).first()


async def team_by_id(session: AsyncSession, *, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def team_members(session: AsyncSession, *, team_id: int) -> list[int]:
    query = select(TeamMember.person_id).where(TeamMember.team_id == team_id).order_by(col(TeamMember.id))
    return list((await session.exec(query)).all())


async def join_team(session: AsyncSession, *, team_id: int, person_id: int, now: datetime) -> bool:
    """Add a member; False if they already were one."""
    if person_id in await team_members(session, team_id=team_id):
        return False
    session.add(TeamMember(team_id=team_id, person_id=person_id, joined_at=now))
    await session.flush()
    return True


# ---- help requests -------------------------------------------------------------------------------------------------


async def help_by_id(session: AsyncSession, *, request_id: int) -> HelpRequest | None:
    return await session.get(HelpRequest, request_id)


def add_help_event(
    session: AsyncSession, *, request: HelpRequest, actor_id: int | None, action: str, now: datetime, note: str = ""
) -> None:
    session.add(
        HelpEvent(request_id=request.id or 0, actor_id=actor_id, action=action, note=note or None, created_at=now)
    )


async def help_events(session: AsyncSession, *, request_id: int) -> list[HelpEvent]:
    query = select(HelpEvent).where(HelpEvent.request_id == request_id).order_by(col(HelpEvent.id))
    return list((await session.exec(query)).all())


async def claim_help(session: AsyncSession, *, request_id: int, volunteer_id: int) -> bool:
    """接单: the first to claim an open request gets it (one conditional UPDATE, so two presses cannot both win)."""
    statement = (
        update(HelpRequest)
        .where(col(HelpRequest.id) == request_id, col(HelpRequest.status) == HelpStatus.OPEN)
        .values(status=HelpStatus.TAKEN, volunteer_id=volunteer_id, next_timer_at=None)
    )
    result: CursorResult[tuple[()]] = await session.exec(statement)
    claimed = result.rowcount == 1
    if claimed:
        request = await session.get(HelpRequest, request_id)
        if request is not None:
            await session.refresh(request)
    return claimed


async def help_due(session: AsyncSession, *, now: datetime, limit: int = 200) -> list[HelpRequest]:
    """Requests whose timer has come: open ones to escalate, done ones to confirm."""
    query = select(HelpRequest).where(
        col(HelpRequest.status).in_([HelpStatus.OPEN, HelpStatus.DONE]), col(HelpRequest.next_timer_at) <= now
    )
    return list((await session.exec(query.order_by(col(HelpRequest.next_timer_at)).limit(limit))).all())


async def help_of_requester(session: AsyncSession, *, person_id: int, limit: int = 10) -> list[HelpRequest]:
    query = (
        select(HelpRequest)
        .where(HelpRequest.requester_id == person_id, HelpRequest.status != HelpStatus.ASKING)
        .order_by(col(HelpRequest.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def open_help_in(session: AsyncSession, *, building_ids: list[int], limit: int = 8) -> list[HelpRequest]:
    """Requests waiting for a volunteer in these buildings, oldest first."""
    query = (
        select(HelpRequest)
        .where(HelpRequest.status == HelpStatus.OPEN, col(HelpRequest.building_id).in_(building_ids))
        .order_by(col(HelpRequest.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
