"""What a community office's reports read: who belongs to a community, its ledger entries, balances."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.passbook import Balance, LedgerEntry
from models.people import Person, RoleGrant
from models.places import Place, PlaceKind

KIND_DEPTH = {PlaceKind.COMMUNITY: 0, PlaceKind.GRID: 1, PlaceKind.BUILDING: 2}


async def members_of(session: AsyncSession, *, community: Place) -> dict[int, str]:
    """Everyone with an active role inside the community → the name of the most precise place (their 楼栋)."""
    query = (
        select(RoleGrant.person_id, Place)
        .join(Place, col(Place.id) == col(RoleGrant.place_id))
        .where(col(Place.path).startswith(community.path), col(RoleGrant.revoked_at).is_(None))
        .order_by(col(RoleGrant.id))
    )
    where: dict[int, Place] = {}
    for person_id, place in (await session.exec(query)).all():
        known = where.get(person_id)
        if known is None or KIND_DEPTH[PlaceKind(place.kind)] > KIND_DEPTH[PlaceKind(known.kind)]:
            where[person_id] = place
    return {person_id: place.name for person_id, place in where.items()}


def community_entries_filter(community_id: int, member_ids: Iterable[int]) -> ColumnElement[bool]:
    """Entries booked to the community, and unbooked entries of its members."""
    return or_(
        col(LedgerEntry.community_id) == community_id,
        and_(col(LedgerEntry.community_id).is_(None), col(LedgerEntry.person_id).in_(list(member_ids))),
    )


async def community_entries(
    session: AsyncSession, *, community_id: int, member_ids: Iterable[int], start: datetime, end: datetime
) -> list[LedgerEntry]:
    """The community's ledger entries in [start, end), oldest first."""
    query = (
        select(LedgerEntry)
        .where(
            community_entries_filter(community_id, member_ids),
            col(LedgerEntry.created_at) >= start,
            col(LedgerEntry.created_at) < end,
        )
        .order_by(col(LedgerEntry.created_at), col(LedgerEntry.id))
    )
    return list((await session.exec(query)).all())


async def people_with_entries(session: AsyncSession, *, community_id: int) -> set[int]:
    query = select(LedgerEntry.person_id).where(LedgerEntry.community_id == community_id).distinct()
    return set((await session.exec(query)).all())


async def balances_of(session: AsyncSession, *, person_ids: Iterable[int]) -> list[Balance]:
    query = (
        select(Balance).where(col(Balance.person_id).in_(list(person_ids))).execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def names_of(session: AsyncSession, *, person_ids: Iterable[int]) -> dict[int, str]:
    query = select(Person.id, Person.display_name).where(col(Person.id).in_(list(person_ids)))
    return {int(person_id): name for person_id, name in (await session.exec(query)).all() if person_id is not None}
