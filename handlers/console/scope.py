"""Who sees what in the console (decision 0021): staff and admins their community, grid workers their grid, a 街道's
members every community their 街道 serves — each with everything below it; an organisation's members (物业,
contractors, utilities, departments) only the tickets currently dispatched to or accepted by their organisation."""

from __future__ import annotations

from dataclasses import dataclass

from models.base import AsyncSession
from models.organisations import Organisation, OrgKind, duties_of
from models.people import Person, Role, RoleGrant, active_grants, person_by_id
from models.places import Place, place_by_id

PLACE_ROLES = (Role.ADMIN, Role.STAFF, Role.GRID_WORKER)
CONSOLE_ROLES = (*PLACE_ROLES, Role.ORG_MEMBER)


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: the places (社区 or 网格) they see whole, and the organisations whose tickets they see
    besides, with the communities those organisations work in (for the filters' and the tables' place names)."""

    person: Person
    grants: list[RoleGrant]
    scopes: tuple[Place, ...]
    organisations: tuple[Organisation, ...] = ()
    org_communities: tuple[Place, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.scopes)

    @property
    def organisation_ids(self) -> tuple[int, ...]:
        return tuple(o.id or 0 for o in self.organisations)

    @property
    def tree(self) -> tuple[Place, ...]:
        """Every place whose names the viewer may see: their scopes and their organisations' communities."""
        return outermost([*self.scopes, *self.org_communities])

    def sees(self, place: Place) -> bool:
        """The place is inside a scope seen whole (every ticket of it is the viewer's to see)."""
        return any(scope.contains(place) for scope in self.scopes)

    def knows(self, place: Place) -> bool:
        """The place is inside the viewer's tree (they may filter on it and see its name)."""
        return any(scope.contains(place) for scope in self.tree)


def outermost(places: list[Place]) -> tuple[Place, ...]:
    """The places not inside another of them, once each, in tree order."""
    unique = {p.id: p for p in places}.values()
    return tuple(
        sorted((p for p in unique if not any(o is not p and o.contains(p) for o in unique)), key=lambda p: p.path)
    )


async def viewer_of(session: AsyncSession, *, person_id: int) -> Viewer | None:
    """The person as the console sees them, or None when no role of theirs opens the console. A membership counts
    while its org member role holds (`duties_of`), so 撤销 in 身份管理 closes the console at the next request."""
    person = await person_by_id(session, person_id=person_id)
    if person is None:
        return None
    grants = await active_grants(session, person_id=person_id)
    places = [await place_by_id(session, place_id=g.place_id) for g in grants if g.role in PLACE_ROLES]
    organisations: list[Organisation] = []
    communities: list[Place] = []
    for org, _member in await duties_of(session, person_id=person_id):
        community = await place_by_id(session, place_id=org.community_id)
        if community is None:
            continue
        if org.kind == OrgKind.STREET:
            places.append(community)
        else:
            organisations.append(org)
            communities.append(community)
    scopes = outermost([p for p in places if p is not None])
    organisations = [
        o for o, c in zip(organisations, communities, strict=True) if not any(s.contains(c) for s in scopes)
    ]
    if not scopes and not organisations:
        return None
    kept = outermost([c for c in communities if any(o.community_id == c.id for o in organisations)])
    return Viewer(person, grants, scopes, tuple(organisations), kept)
