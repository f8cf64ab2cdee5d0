"""Where a person is reached when the bot may not write to them privately: the group of their building."""

from __future__ import annotations

from handlers.core.context import Work
from handlers.core.types import Send
from models.chats import Chat, active_chats_in
from models.people import active_grants
from models.places import PlaceKind, place_by_id


async def home_group(work: Work, person_id: int) -> Chat | None:
    """The first active bound group of a building the person belongs to (None if they belong to none)."""
    buildings = []
    for grant in await active_grants(work.session, person_id=person_id):
        place = await place_by_id(work.session, place_id=grant.place_id)
        if place is not None and place.kind == PlaceKind.BUILDING:
            buildings.append(place)
    chats = await active_chats_in(work.session, places=buildings) if buildings else []
    return chats[0] if chats else None


async def knock_at_home(work: Work, person_id: int) -> Send | None:
    """Their name and the link in their building's group, for a private message that is theirs alone."""
    return await work.knock(await home_group(work, person_id), person_id)
