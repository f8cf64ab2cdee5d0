"""Where a ticket is, as every message naming it says: the building with its parents and the place inside it."""

from __future__ import annotations

from handlers.core.context import Work
from models.places import place_by_id, place_label
from models.tickets import Ticket


def with_location(place: str, location: str | None) -> str:
    """麟绛社区 · 第一网格 · 3号楼 and 2单元501 → 麟绛社区 · 第一网格 · 3号楼 · 2单元501."""
    return f"{place} · {location}" if location else place


async def ticket_place(work: Work, ticket: Ticket) -> str:
    """The ticket's building with its parents and, where the report names it, the place inside (2单元501, 东门)."""
    building = await place_by_id(work.session, place_id=ticket.building_id)
    label = await place_label(work.session, place=building) if building is not None else "?"
    return with_location(label, ticket.location)
