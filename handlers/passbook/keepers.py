"""Who keeps a community's 爱心超市 and its reports: its staff and admins."""

from __future__ import annotations

from handlers.core.context import Context
from models.people import Role
from models.places import Place, PlaceKind, place_by_id

SHOP_KEEPERS = (Role.STAFF, Role.ADMIN)


async def kept_community(ctx: Context) -> Place | None:
    """The community the sender runs the shop (and the exports) for, as staff or admin."""
    for grant in ctx.grants:
        if grant.role in SHOP_KEEPERS:
            place = await place_by_id(ctx.session, place_id=grant.place_id)
            if place is not None and place.kind == PlaceKind.COMMUNITY:
                return place
    return None


async def keeper_community(ctx: Context) -> Place | None:
    """The community the sender keeps, or None after telling them politely that only its keepers may."""
    community = await kept_community(ctx)
    if community is None:
        ctx.reply(ctx.t("shop.keeper_only"))
    return community
