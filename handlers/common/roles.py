"""Role helpers features share: labels, scope checks on the chat's place."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.core.context import Context
from models.people import Role, grants_reach
from models.places import Place, PlaceKind, place_by_id, place_label


async def may_act_on(ctx: Context, place: Place, roles: Iterable[Role]) -> bool:
    """True if the sender holds one of `roles` on `place` or above it (by the grants the context holds)."""
    return await grants_reach(ctx.session, ctx.grants, place=place, roles=roles)


async def home_building(ctx: Context) -> Place | None:
    """The building the sender belongs to: this group's, or the one they hold a role in (resident, building head,
    volunteer — the roles a building can carry)."""
    if ctx.place is not None and ctx.place.kind == PlaceKind.BUILDING:
        return ctx.place
    for grant in ctx.grants:
        place = await place_by_id(ctx.session, place_id=grant.place_id)
        if place is not None and place.kind == PlaceKind.BUILDING:
            return place
    return None


async def describe_grants(ctx: Context) -> list[str]:
    """One line per active grant, e.g. 楼栋长 · 麟绛社区 · 第一网格 · 3号楼."""
    lines = []
    for grant in ctx.grants:
        place = await place_by_id(ctx.session, place_id=grant.place_id)
        where = await place_label(ctx.session, place=place) if place else "?"
        lines.append(f"{ctx.t('role.' + grant.role)} · {where}")
    return lines
