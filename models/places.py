"""The governance tree: 社区 community → 网格 grid → 楼栋 building (units as a count)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow


class PlaceKind(StrEnum):
    COMMUNITY = "community"
    GRID = "grid"
    BUILDING = "building"


PARENT_KIND = {PlaceKind.GRID: PlaceKind.COMMUNITY, PlaceKind.BUILDING: PlaceKind.GRID}


class Place(SQLModel, table=True):
    """One node of the tree; `path` (/1/4/9/) makes "inside this scope" a prefix test."""

    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    name: str = Field(max_length=120)
    code: str = Field(max_length=160)
    path: str = Field(default="", max_length=400, index=True)
    units: int = Field(default=0, ge=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def contains(self, other: "Place") -> bool:
        return other.path.startswith(self.path)


async def add_place(
    session: AsyncSession, *, kind: PlaceKind, name: str, code: str, parent: Place | None, units: int = 0
) -> Place:
    """Insert a node and fill in its materialised path."""
    if PARENT_KIND.get(kind) != (PlaceKind(parent.kind) if parent else None):
        raise ValueError(f"a {kind} cannot sit under {parent.kind if parent else 'nothing'}")
    place = Place(kind=kind, name=name, code=code, parent_id=parent.id if parent else None, units=units)
    session.add(place)
    await session.flush()
    place.path = f"{parent.path if parent else '/'}{place.id}/"
    await session.flush()
    return place


async def place_by_code(session: AsyncSession, *, code: str) -> Place | None:
    result = await session.exec(select(Place).where(Place.code == code))
    return result.first()


async def place_by_id(session: AsyncSession, *, place_id: int) -> Place | None:
    return await session.get(Place, place_id)


async def places_within(session: AsyncSession, *, scope: Place, kind: PlaceKind | None = None) -> list[Place]:
    """Every node inside `scope` (itself included), optionally of one kind, in tree order."""
    query = select(Place).where(col(Place.path).startswith(scope.path))
    if kind is not None:
        query = query.where(Place.kind == kind)
    result = await session.exec(query.order_by(col(Place.path)))
    return list(result.all())


async def buildings_mentioned(session: AsyncSession, *, text: str) -> list[Place]:
    """The buildings whose name the text contains (「2号楼3单元」 → 2号楼), the longest names first."""
    buildings = (await session.exec(select(Place).where(Place.kind == PlaceKind.BUILDING))).all()
    named = [b for b in buildings if b.name and b.name in text]
    longest = max((len(b.name) for b in named), default=0)
    return sorted((b for b in named if len(b.name) == longest), key=lambda b: b.path)


async def ancestors(session: AsyncSession, *, place: Place) -> list[Place]:
    """The node's ancestors from the community down, itself last."""
    ids = [int(part) for part in place.path.strip("/").split("/") if part]
    met: dict[int, Place] = session.info.setdefault("ancestors_met", {})
    if place.id is not None:
        met.setdefault(place.id, place)  # the node itself is in hand: only its parents may need reading
    missing = [i for i in ids if i not in met]
    if missing:  # one query for those this unit of work has not met yet (a card or a routing asks for them often)
        met |= {p.id or 0: p for p in (await session.exec(select(Place).where(col(Place.id).in_(missing)))).all()}
    # held in `met`, they stay in the session's (weak) identity map: `get` asks the database only if one expired
    found = [await session.get(Place, i) for i in ids if i in met]
    return [p for p in found if p is not None]


async def place_label(session: AsyncSession, *, place: Place) -> str:
    """Human name with its parents, e.g. 麟绛社区 · 第一网格 · 3号楼."""
    return " · ".join(p.name for p in await ancestors(session, place=place))
