"""/bind (绑定): a building head, grid worker or staff member binds a group to a building in their area."""

from __future__ import annotations

from handlers.common.roles import may_act_on
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from models.chats import bind_chat
from models.people import MANAGER_ROLES
from models.places import Place, PlaceKind, place_by_id, place_label, places_within

BIND_PAGE_SIZE = 8
BIND_ROLES = MANAGER_ROLES


async def bindable_buildings(ctx: Context) -> list[Place]:
    """Buildings under any node where the sender holds a role that may bind groups."""
    found: dict[int, Place] = {}
    for grant in ctx.grants:
        if grant.role not in BIND_ROLES:
            continue
        scope = await place_by_id(ctx.session, place_id=grant.place_id)
        if scope is None:
            continue
        for building in await places_within(ctx.session, scope=scope, kind=PlaceKind.BUILDING):
            found[building.id or 0] = building
    return sorted(found.values(), key=lambda p: p.path)


def bind_keyboard(ctx: Context, buildings: list[Place], page: int) -> Keyboard:
    start = page * BIND_PAGE_SIZE
    rows: list[tuple[Button, ...]] = [
        (Button(b.name, f"bind:{b.id}"),) for b in buildings[start : start + BIND_PAGE_SIZE]
    ]
    rows += ctx.paging_row(page=page, more=start + BIND_PAGE_SIZE < len(buildings), data="bindp")
    return tuple(rows)


async def bind(ctx: Context, message: IncomingMessage) -> None:
    """Offer the buildings the sender may bind this group to (the router already checked the chat and the role)."""
    if not ctx.config.reads_all_group_messages and not ctx.chat.can_read_all:
        ctx.reply(ctx.t("group.privacy"))
    buildings = await bindable_buildings(ctx)
    if not buildings:
        ctx.reply(ctx.t("bind.no_buildings"), quote=True)
        return
    ctx.reply(ctx.t("bind.choose"), buttons=bind_keyboard(ctx, buildings, 0))


async def bind_page(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    buildings = await bindable_buildings(ctx)
    if not buildings:
        ctx.answer(ctx.t("button.refused"), alert=True)
        return
    page = int(parts[0]) if parts and parts[0].isdigit() else 0
    ctx.edit_pressed(ctx.t("bind.choose"), buttons=bind_keyboard(ctx, buildings, page))
    ctx.answer()


async def bind_chosen(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """Bind the group to the chosen building, if the presser may."""
    building = await place_by_id(ctx.session, place_id=int(parts[0])) if parts and parts[0].isdigit() else None
    if building is None or building.kind != PlaceKind.BUILDING:
        ctx.answer(ctx.t("button.stale"))
        return
    if not await may_act_on(ctx, building, BIND_ROLES):
        ctx.answer(ctx.t("button.refused"), alert=True)
        return
    assert ctx.person.id is not None
    old = await place_by_id(ctx.session, place_id=ctx.chat.place_id) if ctx.chat.place_id else None
    bind_chat(ctx.chat, place=building, person_id=ctx.person.id, now=ctx.now)
    label = await place_label(ctx.session, place=building)
    text = ctx.t("bind.done", place=label)
    if old is not None and old.id != building.id:
        text = ctx.t("bind.rebound", old=await place_label(ctx.session, place=old), place=label) + "\n\n" + text
    ctx.edit_pressed(text)
    ctx.answer("✅")
