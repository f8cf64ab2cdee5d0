"""The community office's web console (社区工作台): one-time login links, sessions, and the board's queries.

Tokens are stored as SHA-256 digests only: a copy of the database opens no session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint, case, func, or_
from sqlalchemy import select as select_columns
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.events import Event, Occurrence, Rsvp
from models.passbook import EntryKind, LedgerEntry
from models.people import Person, RoleGrant
from models.places import Place
from models.tickets import OPEN_STATUSES, Ticket, TicketEvent


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleLink(SQLModel, table=True):
    """A one-time login link sent privately by the bot (工作台 / /console)."""

    __tablename__ = "console_link"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsoleSession(SQLModel, table=True):
    """A browser signed in to the console; ends at logout, revocation or after `idle` without a request."""

    __tablename__ = "console_session"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    csrf_token: str = Field(max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


async def create_login_link(session: AsyncSession, *, person_id: int, now: datetime, ttl: timedelta) -> str:
    """A fresh one-time token for this person; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleLink(token_hash=digest(token), person_id=person_id, created_at=now, expires_at=now + ttl))
    await session.flush()
    return token


async def use_login_link(
    session: AsyncSession, *, token: str, now: datetime
) -> tuple[ConsoleLink | None, LoginProblem | None]:
    """Spend a login link once, or say why it cannot be spent."""
    query = select(ConsoleLink).where(ConsoleLink.token_hash == digest(token)).with_for_update()
    link = (await session.exec(query)).first()
    if link is None:
        return None, LoginProblem.UNKNOWN
    if link.used_at is not None:
        return None, LoginProblem.USED
    if link.expires_at <= now:
        return None, LoginProblem.EXPIRED
    link.used_at = now
    return link, None


async def open_session(
    session: AsyncSession, *, person_id: int, now: datetime, user_agent: str
) -> tuple[str, ConsoleSession]:
    """A new console session: returns the cookie's token (kept only as a digest) and the row."""
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=digest(token),
        csrf_token=secrets.token_urlsafe(32),
        person_id=person_id,
        user_agent=user_agent[:200],
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    return token, row


async def live_session(session: AsyncSession, *, token: str, now: datetime, idle: timedelta) -> ConsoleSession | None:
    """The session behind a cookie if it is still live (touching it), else None (ending it when it idled out)."""
    row = (await session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == digest(token)))).first()
    if row is None or row.ended_at is not None:
        return None
    if row.last_seen_at + idle <= now:
        row.ended_at = now
        return None
    row.last_seen_at = now
    return row


async def sessions_of(session: AsyncSession, *, person_id: int, now: datetime, idle: timedelta) -> list[ConsoleSession]:
    """The person's sessions still live, newest first."""
    query = select(ConsoleSession).where(
        ConsoleSession.person_id == person_id,
        col(ConsoleSession.ended_at).is_(None),
        col(ConsoleSession.last_seen_at) > now - idle,
    )
    return list((await session.exec(query.order_by(col(ConsoleSession.id).desc()))).all())


async def end_session(session: AsyncSession, *, session_id: int, person_id: int, now: datetime) -> bool:
    """End one of the person's own sessions (logout, or revoking another browser); False if there is none."""
    row = await session.get(ConsoleSession, session_id)
    if row is None or row.person_id != person_id or row.ended_at is not None:
        return False
    row.ended_at = now
    return True


# ---- the ticket board -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketQuery:
    """What the board and the exports filter on; `scopes` are the place paths the viewer may see (required)."""

    scopes: tuple[str, ...]
    within: str | None = None
    """A place path inside the scopes (a community, grid or building chosen in the filters)."""
    category: str | None = None
    statuses: tuple[str, ...] = ()
    urgent: bool = False
    overdue_at: datetime | None = None
    """Only open tickets past their due time at this instant."""
    created_from: datetime | None = None
    created_before: datetime | None = None
    search: str = ""


def ticket_conditions(query: TicketQuery) -> list[object]:
    if not query.scopes:
        return [col(Ticket.id) < 0]
    found: list[object] = [or_(*(col(Place.path).startswith(path) for path in query.scopes))]
    if query.within:
        found.append(col(Place.path).startswith(query.within))
    if query.category:
        found.append(Ticket.category == query.category)
    if query.statuses:
        found.append(col(Ticket.status).in_(query.statuses))
    if query.urgent:
        found.append(col(Ticket.urgent).is_(True))
    if query.overdue_at is not None:
        found += [col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.due_at) < query.overdue_at]
    if query.created_from is not None:
        found.append(col(Ticket.created_at) >= query.created_from)
    if query.created_before is not None:
        found.append(col(Ticket.created_at) < query.created_before)
    text = query.search.strip().lstrip("#")
    if text.isdigit():
        found.append(Ticket.id == int(text))
    elif text:
        found.append(col(Ticket.text).contains(text[:100]))
    return found


async def find_tickets(
    session: AsyncSession, *, query: TicketQuery, limit: int, offset: int
) -> list[tuple[Ticket, Place]]:
    """Tickets matching the query with their building, newest first."""
    statement = (
        select(Ticket, Place)
        .join(Place, col(Place.id) == col(Ticket.building_id))
        .where(*ticket_conditions(query))  # type: ignore[arg-type]
        .order_by(col(Ticket.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [(t, p) for t, p in (await session.exec(statement)).all()]


async def count_tickets(session: AsyncSession, *, query: TicketQuery) -> int:
    statement = (
        select(func.count())
        .select_from(Ticket)
        .join(Place, col(Place.id) == col(Ticket.building_id))
        .where(*ticket_conditions(query))  # type: ignore[arg-type]
    )
    return int((await session.exec(statement)).one())


async def events_of_tickets(session: AsyncSession, *, ticket_ids: list[int]) -> list[TicketEvent]:
    """The history of several tickets, in order (for exports)."""
    if not ticket_ids:
        return []
    statement = select(TicketEvent).where(col(TicketEvent.ticket_id).in_(ticket_ids)).order_by(col(TicketEvent.id))
    return list((await session.exec(statement)).all())


# ---- statistics -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFacts:
    """What the statistics need of one ticket: where, what, when confirmed and resolved, how it went."""

    id: int
    building_id: int
    path: str
    category: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    resolved_at: datetime | None
    due_at: datetime | None
    rating: int | None
    reopens: int
    escalations: int


def in_scopes(scopes: tuple[str, ...]) -> object:
    return or_(*(col(Place.path).startswith(path) for path in scopes)) if scopes else col(Place.id) < 0


async def ticket_facts(
    session: AsyncSession, *, scopes: tuple[str, ...], start: datetime, end: datetime
) -> list[TicketFacts]:
    """Every ticket opened in [start, end) inside the scopes, with its first confirmation and its counts of
    reopenings and escalations (one query)."""
    confirmed = (
        select(TicketEvent.ticket_id, func.min(TicketEvent.created_at).label("at"))
        .where(TicketEvent.action == "confirm")
        .group_by(col(TicketEvent.ticket_id))
        .subquery()
    )
    counted = (
        select(
            TicketEvent.ticket_id,
            func.sum(case((col(TicketEvent.action) == "reopen", 1), else_=0)).label("reopens"),
            func.sum(case((col(TicketEvent.action) == "escalate", 1), else_=0)).label("escalations"),
        )
        .where(col(TicketEvent.action).in_(("reopen", "escalate")))
        .group_by(col(TicketEvent.ticket_id))
        .subquery()
    )
    statement = (
        select_columns(
            col(Ticket.id),
            col(Ticket.building_id),
            col(Place.path),
            col(Ticket.category),
            col(Ticket.status),
            col(Ticket.created_at),
            confirmed.c.at,
            col(Ticket.resolved_at),
            col(Ticket.due_at),
            col(Ticket.rating),
            counted.c.reopens,
            counted.c.escalations,
        )
        .join(Place, col(Place.id) == col(Ticket.building_id))
        .outerjoin(confirmed, confirmed.c.ticket_id == col(Ticket.id))
        .outerjoin(counted, counted.c.ticket_id == col(Ticket.id))
        .where(in_scopes(scopes), col(Ticket.created_at) >= start, col(Ticket.created_at) < end)  # type: ignore[arg-type]
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [
        TicketFacts(
            id=r[0],
            building_id=r[1],
            path=r[2],
            category=r[3],
            status=r[4],
            created_at=as_utc(r[5]),
            confirmed_at=as_utc(r[6]) if r[6] is not None else None,
            resolved_at=as_utc(r[7]) if r[7] is not None else None,
            due_at=as_utc(r[8]) if r[8] is not None else None,
            rating=r[9],
            reopens=int(r[10] or 0),
            escalations=int(r[11] or 0),
        )
        for r in rows
    ]


def as_utc(value: datetime | str) -> datetime:
    """A time from an aggregate (SQLite returns min() of a column as text, without its type)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def count_opened(session: AsyncSession, *, scopes: tuple[str, ...], start: datetime, end: datetime) -> int:
    statement = (
        select(func.count())
        .select_from(Ticket)
        .join(Place, col(Place.id) == col(Ticket.building_id))
        .where(in_scopes(scopes), col(Ticket.created_at) >= start, col(Ticket.created_at) < end)  # type: ignore[arg-type]
    )
    return int((await session.exec(statement)).one())


async def check_ins(session: AsyncSession, *, start: datetime, end: datetime) -> list[tuple[list[int], int]]:
    """(the event's scope place ids, people checked in) for every event with an occurrence in [start, end)."""
    statement = (
        select(Occurrence.event_id, func.count(col(Rsvp.id)))
        .join(Rsvp, col(Rsvp.occurrence_id) == col(Occurrence.id))
        .where(
            col(Occurrence.starts_at) >= start,
            col(Occurrence.starts_at) < end,
            col(Rsvp.checked_in_at).is_not(None),
        )
        .group_by(col(Occurrence.event_id))
    )
    counts = {int(event_id): int(n) for event_id, n in (await session.exec(statement)).all()}
    if not counts:
        return []
    scopes = select(Event.id, Event.scope_ids).where(col(Event.id).in_(counts))
    return [(list(ids or []), counts[int(i or 0)]) for i, ids in (await session.exec(scopes)).all()]


async def points_awarded(session: AsyncSession, *, scopes: tuple[str, ...], start: datetime, end: datetime) -> int:
    """Points awarded in [start, end) to people holding a role inside the scopes (volunteers, residents …)."""
    members = (
        select(RoleGrant.person_id)
        .join(Place, col(Place.id) == col(RoleGrant.place_id))
        .where(in_scopes(scopes), col(RoleGrant.revoked_at).is_(None))  # type: ignore[arg-type]
    )
    statement = select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
        LedgerEntry.kind == EntryKind.AWARD,
        col(LedgerEntry.created_at) >= start,
        col(LedgerEntry.created_at) < end,
        col(LedgerEntry.person_id).in_(members),
    )
    return int((await session.exec(statement)).one())


async def display_names(session: AsyncSession, *, person_ids: set[int]) -> dict[int, str]:
    """Names of many people in one query."""
    if not person_ids:
        return {}
    statement = select(Person.id, Person.display_name).where(col(Person.id).in_(person_ids))
    return {int(i or 0): name for i, name in (await session.exec(statement)).all()}


# ---- 每月排名通报 ----------------------------------------------------------------------------------------------


class MonthlyRanking(SQLModel, table=True):
    """The ranking of a community's buildings and grids for one month, as posted, with the figures behind it."""

    __tablename__ = "monthly_ranking"
    __table_args__ = (UniqueConstraint("community_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id")
    month: str = Field(max_length=7)
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def communities(session: AsyncSession) -> list[Place]:
    return list((await session.exec(select(Place).where(Place.kind == "community").order_by(col(Place.id)))).all())


async def ranking_of(session: AsyncSession, *, community_id: int, month: str) -> MonthlyRanking | None:
    query = select(MonthlyRanking).where(MonthlyRanking.community_id == community_id, MonthlyRanking.month == month)
    return (await session.exec(query)).first()


async def rankings_of(session: AsyncSession, *, community_ids: list[int]) -> list[MonthlyRanking]:
    """The rankings of these communities, newest month first."""
    query = select(MonthlyRanking).where(col(MonthlyRanking.community_id).in_(community_ids))
    return list((await session.exec(query.order_by(col(MonthlyRanking.month).desc()))).all())
