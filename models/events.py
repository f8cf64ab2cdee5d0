"""Events (活动): a series staff publish, its dated occurrences, and residents' sign-ups (报名)."""

from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import UniqueConstraint, bindparam
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import UTCDateTime, utcnow


class EventStep(StrEnum):
    TITLE = "title"
    TIME = "time"
    END = "end"
    PLACE = "place"
    CAPACITY = "capacity"
    POINTS = "points"
    SCOPE = "scope"
    PREVIEW = "preview"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


WIZARD_STEPS = (
    EventStep.TITLE,
    EventStep.TIME,
    EventStep.END,
    EventStep.PLACE,
    EventStep.CAPACITY,
    EventStep.POINTS,
)


class Recurrence(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class RsvpStatus(StrEnum):
    GOING = "going"
    WAITLIST = "waitlist"
    CANCELLED = "cancelled"


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    title: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=1000)
    place: str = Field(default="", max_length=200)
    capacity: int | None = None
    recurrence: str = Field(default=Recurrence.ONCE, max_length=8)
    points: int = 0  # 爱心存折 points for each person checked in
    first_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_minutes: int | None = None  # how long each occurrence lasts (None: the organiser gave no end)
    scope_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    step: str = Field(default=EventStep.TITLE, max_length=16, index=True)
    pending_edit: str | None = Field(default=None, max_length=40)  # what an organiser was asked to type next
    pending_editor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Occurrence(SQLModel, table=True):
    """One dated happening of an event, with its own sign-ups, reminders and check-in code."""

    __tablename__ = "event_occurrence"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    slot_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # its place in the series if moved alone
    cancelled: bool = False
    checkin_code: str = Field(max_length=8)
    reminded_day: bool = False
    reminded_hour: bool = False
    card_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Rsvp(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("occurrence_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="event_occurrence.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    status: str = Field(default=RsvpStatus.GOING, max_length=12)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


async def event_in_wizard(session: AsyncSession, *, author_id: int) -> Event | None:
    query = (
        select(Event)
        .where(Event.author_id == author_id, col(Event.step).in_(WIZARD_STEPS))
        .order_by(col(Event.id).desc())
    )
    return (await session.exec(query)).first()


async def rsvps_of(session: AsyncSession, *, occurrence_id: int) -> list[Rsvp]:
    """Sign-ups in the order they were made (waitlist order)."""
    return list((await session.exec(rsvps_query(), params={"occurrence_id": occurrence_id})).all())


@cache
def rsvps_query() -> SelectOfScalar[Rsvp]:
    """`rsvps_of`'s statement, built once (building it cost more than running it): the values are bound."""
    query = select(Rsvp).where(Rsvp.occurrence_id == bindparam("occurrence_id"))
    return query.order_by(col(Rsvp.updated_at), col(Rsvp.id))


async def rsvp_of(session: AsyncSession, *, occurrence_id: int, person_id: int) -> Rsvp | None:
    params = {"occurrence_id": occurrence_id, "person_id": person_id}
    return (await session.exec(rsvp_query(), params=params)).first()


@cache
def rsvp_query() -> SelectOfScalar[Rsvp]:
    """`rsvp_of`'s statement, built once: the values are bound."""
    return select(Rsvp).where(
        Rsvp.occurrence_id == bindparam("occurrence_id"), Rsvp.person_id == bindparam("person_id")
    )


async def upcoming_occurrences(session: AsyncSession, *, after: datetime, before: datetime) -> list[Occurrence]:
    query = select(Occurrence).where(
        col(Occurrence.cancelled).is_(False), col(Occurrence.starts_at) > after, col(Occurrence.starts_at) <= before
    )
    return list((await session.exec(query.order_by(col(Occurrence.starts_at)))).all())


async def latest_occurrence(session: AsyncSession, *, event_id: int) -> Occurrence | None:
    query = select(Occurrence).where(Occurrence.event_id == event_id).order_by(col(Occurrence.starts_at).desc())
    return (await session.exec(query)).first()


async def recurring_events(session: AsyncSession) -> list[Event]:
    query = select(Event).where(Event.recurrence != Recurrence.ONCE, Event.step == EventStep.PUBLISHED)
    return list((await session.exec(query)).all())


async def occurrence_by_code(
    session: AsyncSession, *, code: str, after: datetime, before: datetime
) -> Occurrence | None:
    query = select(Occurrence).where(
        Occurrence.checkin_code == code,
        col(Occurrence.cancelled).is_(False),
        col(Occurrence.starts_at) >= after,
        col(Occurrence.starts_at) <= before,
    )
    return (await session.exec(query)).first()


async def event_awaiting_edit(session: AsyncSession, *, editor_id: int) -> Event | None:
    query = select(Event).where(Event.pending_editor_id == editor_id, col(Event.pending_edit).is_not(None))
    return (await session.exec(query)).first()


async def future_occurrences(session: AsyncSession, *, event_id: int, after: datetime) -> list[Occurrence]:
    query = select(Occurrence).where(
        Occurrence.event_id == event_id, col(Occurrence.cancelled).is_(False), col(Occurrence.starts_at) > after
    )
    return list((await session.exec(query.order_by(col(Occurrence.starts_at)))).all())
