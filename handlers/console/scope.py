"""Who sees what in the console: staff and admins their community, grid workers their grid — nothing outside."""

from __future__ import annotations

from dataclasses import dataclass

from models.base import AsyncSession
from models.people import Person, Role, RoleGrant, active_grants, person_by_id
from models.places import Place, place_by_id

CONSOLE_ROLES = (Role.ADMIN, Role.STAFF, Role.GRID_WORKER)


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and the places (社区 or 网格) they may see, each with everything below it."""

    person: Person
    grants: list[RoleGrant]
    scopes: tuple[Place, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.scopes)

    def sees(self, place: Place) -> bool:
        return any(scope.contains(place) for scope in self.scopes)


async def viewer_of(session: AsyncSession, *, person_id: int) -> Viewer | None:
    """The person as the console sees them, or None when no role of theirs opens the console."""
    person = await person_by_id(session, person_id=person_id)
    if person is None:
        return None
    grants = await active_grants(session, person_id=person_id)
    places: dict[int, Place] = {}
    for grant in grants:
        if grant.role in CONSOLE_ROLES:
            place = await place_by_id(session, place_id=grant.place_id)
            if place is not None:
                places[place.id or 0] = place
    scopes = tuple(p for p in places.values() if not any(o is not p and o.contains(p) for o in places.values()))
    return Viewer(person, grants, tuple(sorted(scopes, key=lambda p: p.path))) if scopes else None
