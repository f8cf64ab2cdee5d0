"""爱心存折: the append-only points ledger and each person's balances (spendable, lifetime) kept beside it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, UniqueConstraint, and_, case, delete, func
from sqlalchemy.engine import CursorResult
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import UTCDateTime, utcnow
from models.people import Person, RoleGrant
from models.places import Place


class EntryKind(StrEnum):
    AWARD = "award"  # points earned: spendable and lifetime grow
    REDEEM = "redeem"  # points held or spent in the 爱心超市: spendable shrinks
    REVERSAL = "reversal"  # undoes an award (both shrink) or a redemption (spendable comes back)
    ADJUSTMENT = "adjustment"  # an office correction of spendable points


class LedgerEntry(SQLModel, table=True):
    """One movement of points; never updated or deleted, a mistake is answered by a REVERSAL entry."""

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("idempotency_key"), CheckConstraint("delta <> 0", name="delta_not_zero"))

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    delta: int
    kind: str = Field(max_length=12)
    reason: str = Field(max_length=200)
    reason_key: str | None = Field(default=None, max_length=40)  # a system reason: its text key, to be said
    reason_values: dict[str, str | int] | None = Field(default=None, sa_column=Column(JSON))  # in the reader's words
    source: str = Field(max_length=24)  # manual, event, ticket, report, entry (a reversal), redemption …
    source_id: int | None = None
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    community_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    idempotency_key: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Balance(SQLModel, table=True):
    """A person's balances, moved in the same transaction as every entry; recomputable from the ledger."""

    __table_args__ = (
        CheckConstraint("spendable >= 0", name="spendable_not_negative"),
        CheckConstraint("lifetime >= 0", name="lifetime_not_negative"),
    )

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    spendable: int = 0
    lifetime: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AwardDraft(SQLModel, table=True):
    """A private /award in progress: the awarder chose a person and an amount; the reason comes next."""

    __tablename__ = "award_draft"
    __table_args__ = (UniqueConstraint("awarder_id"),)

    id: int | None = Field(default=None, primary_key=True)
    awarder_id: int = Field(foreign_key="person.id")
    recipient_id: int = Field(foreign_key="person.id")
    amount: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def award_draft_of(session: AsyncSession, *, awarder_id: int) -> AwardDraft | None:
    return (await session.exec(select(AwardDraft).where(AwardDraft.awarder_id == awarder_id))).first()


async def claim_award_draft(session: AsyncSession, *, draft_id: int | None) -> bool:
    """Delete the draft with one conditional DELETE; False if a concurrent press already took it."""
    statement = delete(AwardDraft).where(col(AwardDraft.id) == draft_id)
    result: CursorResult[tuple[()]] = await session.exec(statement)
    return result.rowcount == 1


async def drop_award_drafts(session: AsyncSession, *, awarder_id: int) -> None:
    await session.exec(delete(AwardDraft).where(col(AwardDraft.awarder_id) == awarder_id))


def lifetime_effect(kind: str, delta: int) -> int:
    """How an entry moves lifetime points: awards add, reversals of awards (negative) take away, nothing else counts."""
    if kind == EntryKind.AWARD or (kind == EntryKind.REVERSAL and delta < 0):
        return delta
    return 0


def earned() -> ColumnElement[int]:
    """lifetime_effect as SQL, to add up what people earned in a period."""
    delta, kind = col(LedgerEntry.delta), col(LedgerEntry.kind)
    awarded = and_(kind == EntryKind.REVERSAL, delta < 0) | (kind == EntryKind.AWARD)
    return case((awarded, delta), else_=0)


async def entries_of(session: AsyncSession, *, person_id: int, limit: int, offset: int) -> list[LedgerEntry]:
    """A person's entries, newest first."""
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.person_id == person_id)
        .order_by(col(LedgerEntry.created_at).desc(), col(LedgerEntry.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.exec(query)).all())


async def count_entries(session: AsyncSession, *, person_id: int) -> int:
    query = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.person_id == person_id)
    return (await session.exec(query)).one()


async def entry_by_id(session: AsyncSession, *, entry_id: int) -> LedgerEntry | None:
    return await session.get(LedgerEntry, entry_id)


async def awarded_since(
    session: AsyncSession, *, since: datetime, source: str, actor_id: int | None = None, person_id: int | None = None
) -> int:
    """Points awarded from one source since a moment, by one awarder and/or to one person (for daily caps)."""
    query = select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
        LedgerEntry.kind == EntryKind.AWARD, LedgerEntry.source == source, col(LedgerEntry.created_at) >= since
    )
    if actor_id is not None:
        query = query.where(LedgerEntry.actor_id == actor_id)
    if person_id is not None:
        query = query.where(LedgerEntry.person_id == person_id)
    return int((await session.exec(query)).one())


def members_of(scope: Place) -> SelectOfScalar[int]:
    """People with an active role anywhere inside the scope (residents, volunteers, heads, workers)."""
    return (
        select(RoleGrant.person_id)
        .join(Place, col(Place.id) == col(RoleGrant.place_id))
        .where(col(Place.path).startswith(scope.path), col(RoleGrant.revoked_at).is_(None))
    )


async def leaderboard(
    session: AsyncSession, *, scope: Place, since: datetime | None, limit: int
) -> list[tuple[Person, int]]:
    """The people inside the scope who earned the most since a moment (all time: None), with their points."""
    points = func.sum(earned()).label("points")
    query = (
        select(Person, points)
        .join(LedgerEntry, col(LedgerEntry.person_id) == col(Person.id))
        .where(col(Person.id).in_(members_of(scope)))
        .group_by(col(Person.id))
        .having(points > 0)
        .order_by(points.desc(), col(Person.id))
        .limit(limit)
    )
    if since is not None:
        query = query.where(col(LedgerEntry.created_at) >= since)
    return [(person, int(total)) for person, total in (await session.exec(query)).all()]


async def lifetime_rank(session: AsyncSession, *, lifetime: int, scope: Place) -> int:
    """1 + how many people inside the scope have more lifetime points."""
    query = (
        select(func.count())
        .select_from(Balance)
        .where(col(Balance.person_id).in_(members_of(scope)), col(Balance.lifetime) > lifetime)
    )
    return 1 + (await session.exec(query)).one()
