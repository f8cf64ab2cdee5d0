"""Households (户): a door in a building with its members; what members earn while in it counts for it too."""

import secrets
from datetime import datetime

from sqlalchemy import UniqueConstraint, and_, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.passbook import LedgerEntry, earned

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone


class Household(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("building_id", "door"), UniqueConstraint("code"))

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    building_id: int = Field(foreign_key="place.id")
    door: str = Field(max_length=24)  # 门牌, e.g. 3单元302
    code: str = Field(max_length=8)  # what family members send to join
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HouseholdMember(SQLModel, table=True):
    """A person belongs to one household at a time; points count for it from `joined_at`."""

    __tablename__ = "household_member"
    __table_args__ = (UniqueConstraint("person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def household_at(session: AsyncSession, *, building_id: int, door: str) -> Household | None:
    query = select(Household).where(Household.building_id == building_id, Household.door == door)
    return (await session.exec(query)).first()


async def household_by_code(session: AsyncSession, *, code: str) -> Household | None:
    return (await session.exec(select(Household).where(Household.code == code.upper()))).first()


async def household_of(session: AsyncSession, *, person_id: int) -> Household | None:
    query = (
        select(Household)
        .join(HouseholdMember, col(HouseholdMember.household_id) == col(Household.id))
        .where(HouseholdMember.person_id == person_id)
    )
    return (await session.exec(query)).first()


async def create_household(
    session: AsyncSession, *, community_id: int, building_id: int, door: str, person_id: int, now: datetime
) -> Household:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if await household_by_code(session, code=code) is None:
            break
    household = Household(
        community_id=community_id,
        building_id=building_id,
        door=door,
        code=code,
        created_by_id=person_id,
        created_at=now,
    )
    session.add(household)
    await session.flush()
    await join_household(session, household_id=household.id or 0, person_id=person_id, now=now)
    return household


async def join_household(session: AsyncSession, *, household_id: int, person_id: int, now: datetime) -> None:
    """Join (leaving any other household: one at a time)."""
    current = (await session.exec(select(HouseholdMember).where(HouseholdMember.person_id == person_id))).first()
    if current is not None:
        await session.delete(current)
        await session.flush()
    session.add(HouseholdMember(household_id=household_id, person_id=person_id, joined_at=now))
    await session.flush()


async def member_ids(session: AsyncSession, *, household_id: int) -> list[int]:
    query = select(HouseholdMember.person_id).where(HouseholdMember.household_id == household_id)
    return list((await session.exec(query.order_by(col(HouseholdMember.id)))).all())


async def household_points(session: AsyncSession, *, household_ids: list[int]) -> dict[int, int]:
    """What the members earned (awards, less reversed awards) since each joined, per household."""
    query = (
        select(HouseholdMember.household_id, func.coalesce(func.sum(earned()), 0))
        .join(
            LedgerEntry,
            and_(
                col(LedgerEntry.person_id) == col(HouseholdMember.person_id),
                col(LedgerEntry.created_at) >= col(HouseholdMember.joined_at),
            ),
        )
        .where(col(HouseholdMember.household_id).in_(household_ids))
        .group_by(col(HouseholdMember.household_id))
    )
    found = {household_id: int(points) for household_id, points in (await session.exec(query)).all()}
    return {household_id: found.get(household_id, 0) for household_id in household_ids}


async def households_in(session: AsyncSession, *, community_id: int) -> list[Household]:
    query = select(Household).where(Household.community_id == community_id)
    return list((await session.exec(query.order_by(col(Household.building_id), col(Household.door)))).all())
