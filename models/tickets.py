"""Requests (工单): tickets, their append-only history, residents affected, and pending intake questions."""

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Index, UniqueConstraint, bindparam, func, or_
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import UTCDateTime, utcnow


class Category(StrEnum):
    REPAIR = "repair"
    DISPUTE = "dispute"
    SANITATION = "sanitation"


class TicketStatus(StrEnum):
    REPORTED = "reported"  # 亮: shown in the group, waiting for the building head
    CONFIRMED = "confirmed"  # 记: recorded
    ASSIGNED = "assigned"  # 调: dispatched to someone
    IN_PROGRESS = "in_progress"  # 跟: being followed up
    RESOLVED = "resolved"  # 回: the handler says it is done, waiting for the resident
    VERIFIED = "verified"  # 访: the resident confirmed (closed)
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    REOPENED = "reopened"


OPEN_STATUSES = (
    TicketStatus.REPORTED,
    TicketStatus.CONFIRMED,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.REOPENED,
)
ACTIVE_STATUSES = (*OPEN_STATUSES, TicketStatus.RESOLVED)


LOCATION_LENGTH = 40
"""The longest place inside a building a ticket keeps (A3号楼12单元1501地下停车场 is 20)."""


class Tier(StrEnum):
    BUILDING = "building"
    GRID = "grid"
    COMMUNITY = "community"


class Ticket(SQLModel, table=True):
    __table_args__ = (
        Index("ix_ticket_building_status", "building_id", "status"),
        # periods counted from the index alone; on PostgreSQL it carries the number too, so a month's numbers (an
        # export's) are read from it alone (SQLite's indexes hold the number anyway: it is the rowid)
        Index("ix_ticket_created_at_building", "created_at", "building_id", postgresql_include=["id"]),
        # the console's board, counts and statistics filter on these; an index holding them all answers a count
        # or a page of numbers without reading the tickets themselves
        Index("ix_ticket_board", "building_id", "created_at", "status", "category", "urgent", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=16)
    building_id: int = Field(foreign_key="place.id")
    location: str | None = Field(default=None, max_length=LOCATION_LENGTH)  # 2单元501, 东门 (as the report names it)
    text: str = Field(max_length=1000)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reporter_id: int = Field(foreign_key="person.id", index=True)
    chat_id: int | None = Field(default=None, foreign_key="chat.id")
    source_message_id: str | None = Field(default=None, max_length=64)
    status: str = Field(default=TicketStatus.REPORTED, max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    tier: str = Field(default=Tier.BUILDING, max_length=16)
    private: bool = False
    urgent: bool = False  # danger to people now (the classifier's verdict when the ticket was opened)
    stage_started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded: bool = False
    next_timer_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    card_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rating: int | None = None
    # kept by add_event from the history, so the statistics read one row a ticket: the first confirmation, how
    # often it was reopened and escalated
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopens: int = 0
    escalations: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketEvent(SQLModel, table=True):
    """Append-only: who did what to a ticket, when, from which chat."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=24)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=500)
    chat_id: int | None = Field(default=None, foreign_key="chat.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketAffected(SQLModel, table=True):
    """A resident who said "+1, me too" on a ticket; they get the 回访 question too."""

    __tablename__ = "ticket_affected"
    __table_args__ = (UniqueConstraint("ticket_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IntakeOffer(SQLModel, table=True):
    """A question the bot asked before opening a ticket (需要帮您登记吗 / 是同一个问题吗), with what to open."""

    __tablename__ = "intake_offer"

    id: int | None = Field(default=None, primary_key=True)
    # "confirm" (low confidence), "duplicate", "private"; "pick" / "report": which building, for a private request /
    # for 报修 TEXT (which opens on the pick)
    kind: str = Field(max_length=16)
    person_id: int = Field(foreign_key="person.id")
    chat_id: int = Field(foreign_key="chat.id")
    building_id: int = Field(foreign_key="place.id")
    category: str = Field(max_length=16)
    location: str | None = Field(default=None, max_length=LOCATION_LENGTH)
    text: str = Field(max_length=1000)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_message_id: str | None = Field(default=None, max_length=64)
    candidate_ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    answered: bool = False
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def add_event(
    session: AsyncSession,
    *,
    ticket: Ticket,
    actor_id: int | None,
    action: str,
    to_status: str | None = None,
    note: str | None = None,
    chat_id: int | None = None,
    now: datetime,
) -> TicketEvent:
    """Record an event and, when `to_status` is given, move the ticket there; the ticket's summary of its history
    (first confirmation, reopenings, escalations) follows."""
    assert ticket.id is not None
    event = TicketEvent(
        ticket_id=ticket.id,
        actor_id=actor_id,
        action=action,
        from_status=ticket.status,
        to_status=to_status,
        note=note[:500] if note else None,
        chat_id=chat_id,
        created_at=now,
    )
    if to_status is not None:
        ticket.status = to_status
    ticket.updated_at = now
    summarise(ticket, action, now)
    session.add(event)
    return event


def summarise(ticket: Ticket, action: str, at: datetime) -> None:
    if action in ("confirm", "urgent_confirm"):
        ticket.confirmed_at = at if ticket.confirmed_at is None else min(ticket.confirmed_at, at)
    elif action == "reopen":
        ticket.reopens += 1
    elif action == "escalate":
        ticket.escalations += 1


async def ticket_for_change(session: AsyncSession, *, ticket_id: int) -> Ticket | None:
    """The ticket as committed now, its row locked until this transaction ends: a button or console action that
    reads the ticket's state to change it waits for one pressed at the same moment in another chat (another worker)
    and then sees what that one did. (SQLite has no row locks and needs none: it serves one process.)"""
    return (await session.exec(ticket_for_change_query(), params={"ticket_id": ticket_id})).first()


@cache
def ticket_for_change_query() -> SelectOfScalar[Ticket]:
    """`ticket_for_change`'s statement, built once: the values are bound."""
    query = select(Ticket).where(Ticket.id == bindparam("ticket_id")).with_for_update()
    return query.execution_options(populate_existing=True)


async def events_of(session: AsyncSession, *, ticket_id: int) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    return list((await session.exec(query)).all())


async def count_events_in_building(
    session: AsyncSession, *, building_id: int, actions: tuple[str, ...], since: datetime
) -> int:
    """How many of these actions the building's shared (not private) tickets saw since `since`."""
    query = (
        select(func.count())
        .select_from(TicketEvent)
        .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
        .where(
            Ticket.building_id == building_id,
            col(Ticket.private).is_(False),
            col(TicketEvent.action).in_(actions),
            col(TicketEvent.created_at) >= since,
        )
    )
    return int((await session.exec(query)).one())


async def recent_open_tickets(
    session: AsyncSession, *, building_id: int, category: str, since: datetime
) -> list[Ticket]:
    params = {"building_id": building_id, "category": category, "since": since}
    return list((await session.exec(recent_open_query(), params=params)).all())


@cache
def recent_open_query() -> SelectOfScalar[Ticket]:
    """`recent_open_tickets`'s statement, built once (building it cost more than running it): the values are bound."""
    return (
        select(Ticket)
        .where(
            Ticket.building_id == bindparam("building_id"),
            Ticket.category == bindparam("category"),
            col(Ticket.status).in_(ACTIVE_STATUSES),
            col(Ticket.created_at) >= bindparam("since"),
        )
        .order_by(col(Ticket.id).desc())
    )


async def open_tickets_in(session: AsyncSession, *, building_ids: list[int], limit: int, offset: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(col(Ticket.building_id).in_(building_ids), col(Ticket.status).in_(ACTIVE_STATUSES))
        .order_by(col(Ticket.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def count_open_in(session: AsyncSession, *, building_ids: list[int]) -> int:
    query = (
        select(func.count())
        .select_from(Ticket)
        .where(col(Ticket.building_id).in_(building_ids), col(Ticket.status).in_(ACTIVE_STATUSES))
    )
    return int((await session.exec(query)).one())


async def tickets_reported_by(session: AsyncSession, *, person_id: int, limit: int, offset: int) -> list[Ticket]:
    affected = select(TicketAffected.ticket_id).where(TicketAffected.person_id == person_id)
    query = (
        select(Ticket)
        .where(or_(col(Ticket.reporter_id) == person_id, col(Ticket.id).in_(affected)))
        .order_by(col(Ticket.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def count_reported_by(session: AsyncSession, *, person_id: int) -> int:
    affected = select(TicketAffected.ticket_id).where(TicketAffected.person_id == person_id)
    query = (
        select(func.count())
        .select_from(Ticket)
        .where(or_(col(Ticket.reporter_id) == person_id, col(Ticket.id).in_(affected)))
    )
    return int((await session.exec(query)).one())


async def affected_people(session: AsyncSession, *, ticket_id: int) -> list[int]:
    return list((await session.exec(affected_query(), params={"ticket_id": ticket_id})).all())


@cache
def affected_query() -> SelectOfScalar[int]:
    """`affected_people`'s statement, built once: the values are bound."""
    return select(TicketAffected.person_id).where(TicketAffected.ticket_id == bindparam("ticket_id"))


async def add_affected(session: AsyncSession, *, ticket_id: int, person_id: int, now: datetime) -> bool:
    """Record a +1; False if this person was already counted."""
    query = select(TicketAffected).where(TicketAffected.ticket_id == ticket_id, TicketAffected.person_id == person_id)
    if (await session.exec(query)).first() is not None:
        return False
    session.add(TicketAffected(ticket_id=ticket_id, person_id=person_id, created_at=now))
    await session.flush()
    return True


async def tickets_due(session: AsyncSession, *, now: datetime, limit: int = 200) -> list[Ticket]:
    """Active tickets whose reminder, deadline or auto-verification time has come, locked and read afresh like
    `ticket_for_change`; one a button is changing right now is left for the next sweep (its timer may have moved)."""
    query = (
        select(Ticket)
        .where(col(Ticket.status).in_(ACTIVE_STATUSES), col(Ticket.next_timer_at) <= now)
        .order_by(col(Ticket.next_timer_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def newest_assigned_to(session: AsyncSession, *, person_id: int) -> Ticket | None:
    """The most recently updated open ticket this person is handling."""
    query = (
        select(Ticket)
        .where(Ticket.assignee_id == person_id, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc())
    )
    return (await session.exec(query)).first()


async def assigned_within(session: AsyncSession, *, person_id: int, building_ids: list[int]) -> list[Ticket]:
    """The open tickets this person is handling in these buildings (what follows a role when it is handed over)."""
    query = (
        select(Ticket)
        .where(
            Ticket.assignee_id == person_id,
            col(Ticket.status).in_(ACTIVE_STATUSES),
            col(Ticket.building_id).in_(building_ids),
        )
        .order_by(col(Ticket.id))
    )
    return list((await session.exec(query)).all())
