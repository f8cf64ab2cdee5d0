"""Residents' data rights (PIPL): everything stored about a person, forgetting a person, and the retention rule that
takes the reporter off tickets closed long ago. Tickets and ledger entries stay; only who they name changes."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy import select as select_rows
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.console import ConsoleSession
from models.people import Person, PlatformAccount, RoleGrant, person_columns
from models.tickets import Ticket, TicketAffected


def plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime | date) else value


async def personal_rows(session: AsyncSession, *, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table that points to this person (and the person's own row), as plain values."""
    found: dict[str, list[dict[str, Any]]] = {}
    own = await session.get(Person, person_id)
    if own is not None:
        found["person"] = [{k: plain(v) for k, v in own.model_dump().items()}]
    for table, column in person_columns(SQLModel.metadata):
        rows = (await session.exec(select_rows(table).where(column == person_id))).mappings().all()  # type: ignore[call-overload]
        if rows:
            found.setdefault(table.name, []).extend({k: plain(v) for k, v in row.items()} for row in rows)
    return found


async def forget_person(session: AsyncSession, *, person_id: int, name: str, now: datetime) -> None:
    """Anonymise the person's own fields, drop their platform accounts (a later message starts a new person), revoke
    their roles and end their console sessions; what points to the person (tickets, ledger) stays, under `name`."""
    person = await session.get(Person, person_id)
    if person is None:
        return
    person.display_name, person.rank_name, person.rank_hidden, person.forgotten_at = name, None, True, now
    await session.exec(delete(PlatformAccount).where(col(PlatformAccount.person_id) == person_id))
    await session.exec(
        update(RoleGrant)
        .where(col(RoleGrant.person_id) == person_id, col(RoleGrant.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.exec(
        update(ConsoleSession)
        .where(col(ConsoleSession.person_id) == person_id, col(ConsoleSession.ended_at).is_(None))
        .values(ended_at=now)
    )


async def anonymous_person(session: AsyncSession, *, name: str, now: datetime) -> Person:
    """The one person old tickets are re-pointed to (a forgotten person with no account, created once)."""
    query = select(Person).where(col(Person.forgotten_at).is_not(None), Person.display_name == name)
    found = (await session.exec(query.order_by(col(Person.id)))).first()
    if found is not None:
        return found
    person = Person(display_name=name, rank_hidden=True, forgotten_at=now, created_at=now)
    session.add(person)
    await session.flush()
    return person


async def anonymise_reporters(session: AsyncSession, *, closed_before: datetime, anonymous_id: int, limit: int) -> int:
    """Tickets closed before the cut-off lose their reporter and their +1s; returns how many tickets changed."""
    query = select(Ticket.id).where(
        col(Ticket.closed_at) < closed_before,
        col(Ticket.reporter_id) != anonymous_id,
    )
    ids = list((await session.exec(query.order_by(col(Ticket.id)).limit(limit))).all())
    if not ids:
        return 0
    await session.exec(update(Ticket).where(col(Ticket.id).in_(ids)).values(reporter_id=anonymous_id))
    await session.exec(delete(TicketAffected).where(col(TicketAffected.ticket_id).in_(ids)))
    return len(ids)
