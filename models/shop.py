"""爱心超市: a community's catalogue and residents' redemptions (held → handed over / cancelled / expired)."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint, func, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.ledger import InsufficientPoints, post_entry
from models.passbook import EntryKind

CODE_DIGITS = 6


class RedemptionStatus(StrEnum):
    HELD = "held"  # points held, waiting for pickup
    HANDED_OVER = "handed_over"  # staff gave the item: points spent, stock taken
    CANCELLED = "cancelled"  # the resident changed their mind: points back
    EXPIRED = "expired"  # not picked up in time: points back


class RewardItem(SQLModel, table=True):
    """One thing on a community's shelf; `stock` counts what is physically there (holds are not taken yet)."""

    __tablename__ = "reward_item"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    name: str = Field(max_length=60)
    cost: int
    stock: int = 0
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Redemption(SQLModel, table=True):
    """A resident's 兑换: the points are held by a REDEEM ledger entry until pickup, or given back."""

    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("request_key"))

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="reward_item.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    item_name: str = Field(max_length=60)
    cost: int
    code: str = Field(max_length=8)
    request_key: str = Field(max_length=64)  # one confirm button → at most one redemption
    status: str = Field(default=RedemptionStatus.HELD, max_length=12, index=True)
    held_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")


class ShopDesk(SQLModel, table=True):
    """Where and when a community's 爱心超市 hands items over, as its keepers wrote it (shown with pickup codes)."""

    __tablename__ = "shop_desk"

    community_id: int = Field(foreign_key="place.id", primary_key=True)
    address: str = Field(default="", max_length=120)
    hours: str = Field(default="", max_length=120)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def shop_desk_of(session: AsyncSession, *, community_id: int) -> ShopDesk | None:
    return await session.get(ShopDesk, community_id)


async def set_shop_desk(
    session: AsyncSession, *, community_id: int, address: str, hours: str, now: datetime
) -> ShopDesk:
    """Write the pickup place and opening hours of a community's shop (one row per community)."""
    desk = await session.get(ShopDesk, community_id) or ShopDesk(community_id=community_id)
    desk.address, desk.hours, desk.updated_at = address, hours, now
    session.add(desk)
    await session.flush()
    return desk


@dataclass(frozen=True)
class ItemRow:
    """One catalogue line as typed or imported: create the item, or update the one with this name."""

    name: str
    cost: int
    stock: int
    active: bool = True


async def items_of(session: AsyncSession, *, community_id: int, active_only: bool = False) -> list[RewardItem]:
    query = select(RewardItem).where(RewardItem.community_id == community_id)
    if active_only:
        query = query.where(col(RewardItem.active).is_(True))
    return list((await session.exec(query.order_by(col(RewardItem.cost), col(RewardItem.id)))).all())


async def item_by_name(session: AsyncSession, *, community_id: int, name: str) -> RewardItem | None:
    query = select(RewardItem).where(RewardItem.community_id == community_id, RewardItem.name == name)
    return (await session.exec(query)).first()


async def locked_item(session: AsyncSession, *, item_id: int) -> RewardItem | None:
    """The item with its row locked for this transaction (PostgreSQL; SQLite already serialises writers)."""
    query = select(RewardItem).where(RewardItem.id == item_id).with_for_update()
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def save_items(session: AsyncSession, *, community_id: int, rows: Iterable[ItemRow], now: datetime) -> int:
    """Create or update items by name; returns how many were new."""
    created = 0
    for row in rows:
        item = await item_by_name(session, community_id=community_id, name=row.name)
        if item is None:
            item = RewardItem(community_id=community_id, name=row.name, cost=row.cost, created_at=now)
            session.add(item)
            created += 1
        item.cost, item.stock, item.active, item.updated_at = row.cost, row.stock, row.active, now
    await session.flush()
    return created


async def held_counts(session: AsyncSession, *, item_ids: Iterable[int]) -> dict[int, int]:
    """How many holds wait for pickup, per item."""
    query = (
        select(Redemption.item_id, func.count())
        .where(col(Redemption.item_id).in_(list(item_ids)), Redemption.status == RedemptionStatus.HELD)
        .group_by(col(Redemption.item_id))
    )
    return {int(item_id): int(count) for item_id, count in (await session.exec(query)).all()}


async def new_pickup_code(session: AsyncSession) -> str:
    """A six-digit code no redemption has used yet (the unique constraint is the last line)."""
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if (await session.exec(select(Redemption.id).where(Redemption.code == code))).first() is None:
            return code


async def redemption_by_code(session: AsyncSession, *, code: str) -> Redemption | None:
    return (await session.exec(select(Redemption).where(Redemption.code == code))).first()


async def redemption_by_request(session: AsyncSession, *, request_key: str) -> Redemption | None:
    return (await session.exec(select(Redemption).where(Redemption.request_key == request_key))).first()


async def held_redemptions(
    session: AsyncSession, *, community_id: int | None = None, person_id: int | None = None
) -> list[Redemption]:
    """Holds waiting for pickup, oldest first, in a community and/or of one person."""
    query = select(Redemption).where(Redemption.status == RedemptionStatus.HELD)
    if community_id is not None:
        query = query.where(Redemption.community_id == community_id)
    if person_id is not None:
        query = query.where(Redemption.person_id == person_id)
    return list((await session.exec(query.order_by(col(Redemption.held_at), col(Redemption.id)))).all())


async def expired_holds(session: AsyncSession, *, now: datetime) -> list[Redemption]:
    query = select(Redemption).where(Redemption.status == RedemptionStatus.HELD, col(Redemption.expires_at) <= now)
    return list((await session.exec(query.order_by(col(Redemption.id)))).all())


async def close_hold(
    session: AsyncSession, *, redemption: Redemption, status: RedemptionStatus, now: datetime, by_id: int | None
) -> bool:
    """Move a hold to its final status; False if someone else closed it first (one conditional UPDATE)."""
    statement = (
        update(Redemption)
        .where(col(Redemption.id) == redemption.id, col(Redemption.status) == RedemptionStatus.HELD)
        .values(status=status, closed_at=now, closed_by_id=by_id)
    )
    result: CursorResult[tuple[()]] = await session.exec(statement)
    if result.rowcount != 1:
        return False
    redemption.status, redemption.closed_at, redemption.closed_by_id = status, now, by_id
    return True


async def take_from_stock(session: AsyncSession, *, item_id: int, now: datetime) -> None:
    """One piece left the shelf; stock never goes below zero (a handover is a fact even if the count was off)."""
    statement = (
        update(RewardItem)
        .where(col(RewardItem.id) == item_id, col(RewardItem.stock) > 0)
        .values(stock=col(RewardItem.stock) - 1, updated_at=now)
    )
    await session.exec(statement)


# ---- the rules, without a chat: hold, hand over, give back ---------------------------------------------------


REDEMPTION_SOURCE = "redemption"


class Refusal(StrEnum):
    UNAVAILABLE = "unavailable"  # gone from the shelf or from another community
    SOLD_OUT = "sold_out"  # every piece is already held or handed over
    NOT_ENOUGH = "not_enough"  # spendable points below the cost
    DUPLICATE = "duplicate"  # this confirm button was already pressed


@dataclass(frozen=True)
class Hold:
    redemption: Redemption | None = None
    refusal: Refusal | None = None


# ---- the rules, without a chat: hold, hand over, give back ---------------------------------------------------


async def hold_item(
    session: AsyncSession,
    *,
    person_id: int,
    item_id: int,
    community_id: int,
    request_key: str,
    now: datetime,
    expires_at: datetime,
    reason: str,
    reason_key: str | None = None,
    reason_values: dict[str, str | int] | None = None,
) -> Hold:
    """Hold the item's cost from the person's points and reserve one piece, or say why not (nothing changes)."""
    if await redemption_by_request(session, request_key=request_key) is not None:
        return Hold(refusal=Refusal.DUPLICATE)
    item = await locked_item(session, item_id=item_id)
    if item is None or not item.active or item.community_id != community_id:
        return Hold(refusal=Refusal.UNAVAILABLE)
    if item.stock - (await held_counts(session, item_ids=[item_id])).get(item_id, 0) <= 0:
        return Hold(refusal=Refusal.SOLD_OUT)
    try:
        async with session.begin_nested():
            redemption = await add_redemption(session, item, person_id, request_key, now, expires_at)
            await post_entry(
                session,
                person_id=person_id,
                delta=-item.cost,
                kind=EntryKind.REDEEM,
                reason=reason,
                reason_key=reason_key,
                reason_values=reason_values,
                source=REDEMPTION_SOURCE,
                source_id=redemption.id,
                actor_id=person_id,
                idempotency_key=f"redemption:{redemption.id}:hold",
                now=now,
                community_id=community_id,
            )
    except InsufficientPoints:
        return Hold(refusal=Refusal.NOT_ENOUGH)
    except IntegrityError:  # the same confirm button pressed twice at once: the other press won
        return Hold(refusal=Refusal.DUPLICATE)
    return Hold(redemption=redemption)


async def add_redemption(
    session: AsyncSession, item: RewardItem, person_id: int, request_key: str, now: datetime, expires_at: datetime
) -> Redemption:
    redemption = Redemption(
        item_id=item.id or 0,
        person_id=person_id,
        community_id=item.community_id,
        item_name=item.name,
        cost=item.cost,
        code=await new_pickup_code(session),
        request_key=request_key,
        held_at=now,
        expires_at=expires_at,
    )
    session.add(redemption)
    await session.flush()
    return redemption


async def hand_over(session: AsyncSession, *, redemption: Redemption, now: datetime, by_id: int) -> bool:
    """Staff gave the item: the hold becomes spent and one piece leaves the stock; False if already closed."""
    if not await close_hold(session, redemption=redemption, status=RedemptionStatus.HANDED_OVER, now=now, by_id=by_id):
        return False
    await take_from_stock(session, item_id=redemption.item_id, now=now)
    return True


async def give_back(
    session: AsyncSession,
    *,
    redemption: Redemption,
    status: RedemptionStatus,
    now: datetime,
    by_id: int | None,
    reason: str,
    reason_key: str | None = None,
    reason_values: dict[str, str | int] | None = None,
) -> bool:
    """Cancel or expire a hold and return its points (a REVERSAL entry); False if it was already closed."""
    if not await close_hold(session, redemption=redemption, status=status, now=now, by_id=by_id):
        return False
    await post_entry(
        session,
        person_id=redemption.person_id,
        delta=redemption.cost,
        kind=EntryKind.REVERSAL,
        reason=reason,
        reason_key=reason_key,
        reason_values=reason_values,
        source=REDEMPTION_SOURCE,
        source_id=redemption.id,
        actor_id=by_id,
        idempotency_key=f"redemption:{redemption.id}:refund",
        now=now,
        community_id=redemption.community_id,
    )
    return True
