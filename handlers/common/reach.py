"""Where a person is reached when the bot may not write to them privately: the group of their building."""

from __future__ import annotations

from handlers.core.context import Work
from handlers.core.types import Send
from models.chats import Chat, active_chats_in
from models.people import Role, active_grants
from models.places import Place, PlaceKind, place_by_id


async def home_buildings(work: Work, person_id: int) -> list[Place]:
    """Where a person belongs (docs/residency.md): the building they are a resident of; without a residence, the
    buildings of their other roles (a volunteer's, a building head's). Each building once, though a person may hold
    several grants there (linked accounts bring their grants along)."""
    residences: dict[int, Place] = {}
    others: dict[int, Place] = {}
    for grant in await active_grants(work.session, person_id=person_id):
        place = await place_by_id(work.session, place_id=grant.place_id)
        if place is not None and place.id is not None and place.kind == PlaceKind.BUILDING:
            (residences if grant.role == Role.RESIDENT else others).setdefault(place.id, place)
    return list((residences or others).values())


async def home_groups(work: Work, person_id: int) -> list[Chat]:
    """The active bound groups of the buildings a person belongs to: the only groups their own lines go to."""
    buildings = await home_buildings(work, person_id)
    return await active_chats_in(work.session, places=buildings) if buildings else []


async def belongs_in(work: Work, person_id: int, chat: Chat) -> bool:
    """True if `chat` is one of the person's home groups, or they belong nowhere yet (so any group will do)."""
    buildings = await home_buildings(work, person_id)
    return not buildings or chat.place_id in {b.id for b in buildings}


async def home_group(work: Work, person_id: int) -> Chat | None:
    """The first home group of the person (None if they belong to no building with a bound group)."""
    chats = await home_groups(work, person_id)
    return chats[0] if chats else None


async def knock_at_home(work: Work, person_id: int) -> Send | None:
    """Their name and the link in their building's group, for a private message that is theirs alone."""
    return await work.knock(await home_group(work, person_id), person_id)
