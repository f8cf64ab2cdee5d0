"""The community office's web console (社区工作台): one-time login links, sessions, and the board's queries.

Tokens are stored as SHA-256 digests only: a copy of the database opens no session."""

import functools
import hashlib
import json
import operator
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Float, Integer, UniqueConstraint, and_, any_, bindparam, cast, func, or_, text, union
from sqlalchemy import select as select_columns
from sqlalchemy.dialects.postgresql import ARRAY, array_agg
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, long_read, on_postgres, utcnow
from models.events import Event, Occurrence, Rsvp
from models.organisations import dispatched_to
from models.passbook import EntryKind, LedgerEntry
from models.people import Person, RoleGrant
from models.places import Place
from models.tickets import OPEN_STATUSES, Ticket, TicketEvent


class EpochSeconds(FunctionElement[int]):
    """A UTC time column as whole seconds since 1970: exports and statistics read tens of thousands of times, and
    an integer costs far less to read than a datetime (handlers.common.times.LocalStamps shows it)."""

    type = BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(EpochSeconds, "postgresql")
def _epoch_seconds_on_postgres(element: EpochSeconds, compiler: Any, **kw: Any) -> str:
    """date_part gives a double, extract (PostgreSQL 14 on) a numeric: a quarter less of the server's time for a
    batch's times. A double holds 2026's seconds to ~0.2 µs, so the floor of a time's microseconds is exact."""
    return f"CAST(floor(date_part('epoch', {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(EpochSeconds, "sqlite")
def _epoch_seconds_on_sqlite(element: EpochSeconds, compiler: Any, **kw: Any) -> str:
    """unixepoch() (SQLite 3.38) gives the integer at once: half the time of strftime('%s') and a cast. It reads the
    time to the millisecond, rounded, so 23:59:59.9996 would count as the next second (and day): it is given the
    time cut to whole seconds ('YYYY-MM-DD HH:MM:SS', the first 19 characters of what is stored)."""
    return f"unixepoch(substr({compiler.process(element.clauses, **kw)}, 1, 19))"


class HoursBetween(FunctionElement[float]):
    """Hours from the first time column to the second (NULL if either is), worked out by the database."""

    type = Float()
    name = "hours_between"
    inherit_cache = True


@compiles(HoursBetween, "postgresql")
def _hours_on_postgres(element: HoursBetween, compiler: Any, **kw: Any) -> str:
    earlier, later = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(extract(epoch FROM {later} - {earlier}) AS DOUBLE PRECISION) / 3600.0"


@compiles(HoursBetween, "sqlite")
def _hours_on_sqlite(element: HoursBetween, compiler: Any, **kw: Any) -> str:
    """SQLite keeps times to the millisecond inside julianday(); rounding the seconds to it gives them exactly."""
    earlier, later = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"round((julianday({later}) - julianday({earlier})) * 86400.0, 3) / 3600.0"


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
    """What the board and the exports filter on; `scopes` are the place paths the viewer sees whole and
    `organisations` those whose dispatched tickets they see besides (one of the two is required)."""

    scopes: tuple[str, ...]
    organisations: tuple[int, ...] = ()
    within: str | None = None
    """A place path inside the scopes (a community, grid or building chosen in the filters)."""
    category: str | None = None
    organisation: int | None = None
    """Only the tickets whose current dispatch is with this organisation (the board's 单位 filter)."""
    statuses: tuple[str, ...] = ()
    urgent: bool = False
    overdue_at: datetime | None = None
    """Only open tickets past their due time at this instant."""
    created_from: datetime | None = None
    created_before: datetime | None = None
    search: str = ""
    """Text the ticket contains (unless `number` is given)."""
    number: int | None = None
    """Only the ticket with this number (the caller reads `#12` or `12` from a search strictly)."""

    @property
    def text(self) -> str:
        """The words searched for (not a number), or ""; finding them reads every ticket's text in scope."""
        return "" if self.number is not None else self.search.strip().lstrip("#")[:100]


def buildings_in(scopes: tuple[str, ...], within: str | None = None) -> Any:
    """The ids of the buildings inside the scopes (and inside `within`, when given), as a subquery: tickets are
    filtered by their building's id, so an index on the ticket answers without joining the place tree."""
    found = select(Place.id).where(or_(*(col(Place.path).startswith(path) for path in scopes)))
    return found.where(col(Place.path).startswith(within)) if within else found


def visible(scopes: tuple[str, ...], organisations: tuple[int, ...], within: str | None = None) -> list[Any]:
    """The condition of a ticket the viewer may see: its building inside a scope, or its current dispatch with one
    of their organisations (and inside `within`, when given); nothing at all for no scope and no organisation."""
    if not organisations:
        return [col(Ticket.building_id).in_(buildings_in(scopes, within))] if scopes else [col(Ticket.id) < 0]
    seen: Any = col(Ticket.id).in_(dispatched_to(organisations))
    if scopes:
        seen = or_(col(Ticket.building_id).in_(buildings_in(scopes)), seen)
    inside = [col(Ticket.building_id).in_(select(Place.id).where(col(Place.path).startswith(within)))] if within else []
    return [seen, *inside]


def ticket_conditions(query: TicketQuery) -> list[Any]:
    found = visible(query.scopes, query.organisations, query.within)
    if query.category:
        found.append(Ticket.category == query.category)
    if query.organisation is not None:
        found.append(col(Ticket.id).in_(dispatched_to((query.organisation,))))
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
    if query.number is not None:
        found.append(Ticket.id == query.number)
    elif query.text:
        found.append(col(Ticket.text).contains(query.text))
    return found


async def plan_for_the_values(session: AsyncSession) -> None:
    """On PostgreSQL, plan this transaction's further statements for their parameters' values. asyncpg prepares
    every statement, and after five runs PostgreSQL may keep a generic plan that ignores the values: a month's points
    went from 3 ms to 270 ms that way. The console's reports run few statements, so planning each costs nothing."""
    if on_postgres(session):
        await (await session.connection()).execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def plain_rows(session: AsyncSession, statement: Any) -> list[Any]:
    """The rows of a select run on the session's connection, past the ORM's loading (which costs more than the query
    itself over the thousands of rows of a month's statistics or an export)."""
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


async def ticket_numbers(session: AsyncSession, *, query: TicketQuery, limit: int, offset: int = 0) -> list[int]:
    """The numbers of the tickets matching the query, newest first (read from an index where the filters allow)."""
    statement = (
        select(Ticket.id).where(*ticket_conditions(query)).order_by(col(Ticket.id).desc()).offset(offset).limit(limit)
    )
    (found,) = await plain_columns(session, as_columns(statement, on_postgres(session)), descending=True)
    return found


async def tickets_numbered(session: AsyncSession, *, numbers: list[int]) -> list[tuple[Ticket, Place]]:
    """These tickets with their building, in the order of `numbers`."""
    if not numbers:
        return []
    statement = (
        select(Ticket, Place).join(Place, col(Place.id) == col(Ticket.building_id)).where(col(Ticket.id).in_(numbers))
    )
    found = {t.id: (t, p) for t, p in (await session.exec(statement)).all()}
    return [found[n] for n in numbers if n in found]


async def count_tickets(session: AsyncSession, *, query: TicketQuery) -> int:
    statement = select(func.count()).select_from(Ticket).where(*ticket_conditions(query))
    return int((await session.exec(statement)).one())


def export_lines(postgres: bool) -> Any:
    """What an export shows of the tickets numbered ``:numbers`` (`listed`), newest first: their number, category,
    building's name, place inside, text, status, urgency, tier, the ids of their reporter and assignee (their names:
    `export_batch`), times as seconds since 1970, stars. For `batch_statement`."""
    return (
        select_columns(
            col(Ticket.id),
            col(Ticket.category),
            col(Place.name).label("building"),
            col(Ticket.location),
            col(Ticket.text),
            col(Ticket.status),
            col(Ticket.urgent),
            col(Ticket.tier),
            col(Ticket.reporter_id),
            col(Ticket.assignee_id),
            EpochSeconds(col(Ticket.created_at)).label("created_at"),
            EpochSeconds(col(Ticket.due_at)).label("due_at"),
            EpochSeconds(col(Ticket.resolved_at)).label("resolved_at"),
            EpochSeconds(col(Ticket.closed_at)).label("closed_at"),
            col(Ticket.rating),
        )
        .join(Place, col(Place.id) == col(Ticket.building_id))
        .where(among_listed(postgres, col(Ticket.id)))
        .order_by(col(Ticket.id).desc())
    )


def export_events(postgres: bool) -> Any:
    """The history of the tickets numbered ``:numbers``, in the order it happened: the event's own number (the
    order), the ticket's number, the time as seconds since 1970, the action, the actor's id (their names:
    `export_batch`), the status it led to, the note. For `batch_statement`."""
    return (
        select_columns(
            col(TicketEvent.id),
            col(TicketEvent.ticket_id),
            EpochSeconds(col(TicketEvent.created_at)).label("created_at"),
            col(TicketEvent.action),
            col(TicketEvent.actor_id),
            col(TicketEvent.to_status),
            col(TicketEvent.note),
        )
        .where(among_listed(postgres, col(TicketEvent.ticket_id)))
        .order_by(col(TicketEvent.id))
    )


class ExportBatch(NamedTuple):
    """A batch of an export as `export_lines`' columns, `export_events`' and the names of the people in them."""

    tickets: list[list[Any]]
    events: list[list[Any]]
    names: dict[int, str]


async def export_batch(session: AsyncSession, *, numbers: list[int]) -> ExportBatch:
    """The tickets numbered ``numbers`` (newest first), their history and the names of the people in both, read in
    one statement (`batch_statement`): one round trip a batch, which the database can work on while the export
    writes out the batch before (handlers/console/exports.py, `read_ahead`)."""
    postgres = on_postgres(session)
    connection = await session.connection()
    found = await connection.execute(batch_statement(postgres), {"numbers": listed(postgres, numbers)})
    tickets, events, people = found.one()
    ids, names = in_order(people, descending=False)
    return ExportBatch(
        in_order(tickets, descending=True), in_order(events, descending=False), dict(zip(ids, names, strict=True))
    )


@functools.cache
def batch_statement(postgres: bool) -> Any:
    """`export_batch`'s select: three `as_columns` selects as one row, of the tickets, their events (each read once,
    as common table expressions, in their order: `export_batch` checks it) and the people in both. On PostgreSQL the
    people are looked up by their numbers as an array, one index probe each: for ``IN`` (or a join) it hashed the
    whole person table, 7 ms of a 2,000 tickets' batch's 26. On SQLite it is a `LONG_READ`: read off the event loop's
    thread, while the export writes out the batch before."""
    lines = export_lines(postgres).cte("lines")
    events = export_events(postgres).cte("events")
    people = union(
        select_columns(lines.c.reporter_id), select_columns(lines.c.assignee_id), select_columns(events.c.actor_id)
    ).subquery()
    named = select_columns(col(Person.id), col(Person.display_name)).order_by(col(Person.id))
    if postgres:
        numbers = select_columns(array_agg(people.c.reporter_id)).scalar_subquery()
        named = named.where(col(Person.id) == any_(cast(numbers, ARRAY(Integer))))  # ANY of an array, not of rows
    else:
        named = named.where(col(Person.id).in_(select_columns(people.c.reporter_id)))
    parts = (select_columns(lines), select_columns(events), named)
    return long_read(select_columns(*(as_columns(part, postgres).scalar_subquery() for part in parts)))


def among_listed(postgres: bool, column: Any) -> Any:
    """``column IN :numbers`` with the numbers given as one parameter when the statement runs (`listed`: an array
    on PostgreSQL, a JSON list SQLite reads with json_each): an export asks for thousands at a time, and rendering a
    parameter for each cost more than the query."""
    if postgres:
        return column == any_(bindparam("numbers", type_=ARRAY(Integer)))
    return column.in_(select_columns(func.json_each(bindparam("numbers")).table_valued("value").c.value))


def listed(postgres: bool, numbers: list[int]) -> object:
    """The value of `among_listed`'s parameter: the numbers as an array on PostgreSQL, a JSON list on SQLite."""
    return numbers if postgres else json.dumps(numbers)


def as_columns(statement: Any, postgres: bool) -> Any:
    """A select that gives ``statement``'s rows as one JSON value: an array of each of its columns' arrays."""
    rows = statement.subquery()
    if postgres:
        arrays = [func.coalesce(func.json_agg(column), text("'[]'::json")) for column in rows.c]
        return select_columns(func.json_build_array(*arrays, type_=JSON)).select_from(rows)
    return select_columns(func.json_array(*map(func.json_group_array, rows.c), type_=JSON)).select_from(rows)


async def plain_columns(
    session: AsyncSession, statement: Any, parameters: dict[str, object] | None = None, *, descending: bool = False
) -> list[list[Any]]:
    """The rows of an `as_columns` select (ordered by their first column, ascending or ``descending``) a column at
    a time, each column a list. The database hands them over as one JSON value that Python reads in one call: a
    month's export is a quarter of a million values, and making a Python row of each of its thousands of rows (the
    driver's, then SQLAlchemy's) and turning them back into columns cost more than the query. The aggregates read
    the select's rows in its order on both databases, but SQL does not promise it, so the order is checked (and
    restored if need be: `in_order`)."""
    connection = await session.connection()
    columns: list[list[Any]] = (await connection.execute(statement, parameters)).scalar_one()
    return in_order(columns, descending=descending)


def in_order(columns: list[list[Any]], *, descending: bool) -> list[list[Any]]:
    """The columns with their rows sorted by the first column (all columns moved alike); as they are if they already
    are."""
    key = columns[0]
    if all(map(operator.gt if descending else operator.lt, key, key[1:])):
        return columns
    order = sorted(range(len(key)), key=key.__getitem__, reverse=descending)
    return [list(map(column.__getitem__, order)) for column in columns]


# ---- statistics -------------------------------------------------------------------------------------------------


class TicketFacts(NamedTuple):
    """What the statistics need of one ticket (a tuple: a month has thousands): its building's path, its category,
    the hours from its report to its first confirmation and to its resolution, whether it was overdue (escalated at
    least once, or still open past its due time), its stars, whether it was reopened, its escalations."""

    path: str
    category: str
    confirm_hours: float | None
    resolve_hours: float | None
    overdue: bool
    rating: int | None
    reopened: bool
    escalations: int


def in_scopes(scopes: tuple[str, ...]) -> object:
    return or_(*(col(Place.path).startswith(path) for path in scopes)) if scopes else col(Place.id) < 0


def opened_within(
    scopes: tuple[str, ...], start: datetime, end: datetime, organisations: tuple[int, ...] = ()
) -> list[Any]:
    return [*visible(scopes, organisations), col(Ticket.created_at) >= start, col(Ticket.created_at) < end]


async def ticket_facts(
    session: AsyncSession,
    *,
    scopes: tuple[str, ...],
    start: datetime,
    end: datetime,
    now: datetime,
    organisations: tuple[int, ...] = (),
    handled_by: int | None = None,
) -> list[TicketFacts]:
    """Every ticket opened in [start, end) inside the scopes (or with the organisations), as of `now`. One row a
    ticket and no history read: the first confirmation and the counts of reopenings and escalations are kept on the
    ticket by `add_event`; the hours are worked out by the database, which spares making thousands of datetimes.
    `handled_by` keeps only the tickets whose current dispatch is with that organisation."""
    handled = [col(Ticket.id).in_(dispatched_to((handled_by,)))] if handled_by is not None else []
    overdue = or_(col(Ticket.escalations) > 0, and_(col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.due_at) < now))
    statement = select_columns(
        col(Place.path),
        col(Ticket.category),
        HoursBetween(col(Ticket.created_at), col(Ticket.confirmed_at)),
        HoursBetween(col(Ticket.created_at), col(Ticket.resolved_at)),
        overdue,
        col(Ticket.rating),
        col(Ticket.reopens) > 0,
        col(Ticket.escalations),
    ).where(col(Place.id) == col(Ticket.building_id), *opened_within(scopes, start, end, organisations), *handled)
    return [
        TicketFacts(path, category, confirm, resolve, bool(late), rating, bool(reopened), escalations)
        for path, category, confirm, resolve, late, rating, reopened, escalations in await plain_rows(
            session, statement
        )
    ]


async def count_opened(session: AsyncSession, *, scopes: tuple[str, ...], start: datetime, end: datetime) -> int:
    statement = select(func.count()).select_from(Ticket).where(*opened_within(scopes, start, end))
    return int((await session.exec(statement)).one())


async def opened_per_period(
    session: AsyncSession, *, scopes: tuple[str, ...], bounds: list[datetime], organisations: tuple[int, ...] = ()
) -> list[int]:
    """How many tickets were opened inside the scopes (or with the organisations) in each period
    [bounds[i], bounds[i + 1]): one statement of a count per period, each a range of the board's index."""
    counts = [
        select_columns(func.count())
        .select_from(Ticket)
        .where(*opened_within(scopes, start, end, organisations))
        .scalar_subquery()
        for start, end in pairwise(bounds)
    ]
    found = await plain_rows(session, select_columns(*counts))
    return [int(n) for n in found[0]]


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
