"""/bind (绑定): a building head, grid worker or staff member binds a group to a building in their area."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.roles import may_act_on
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from models.chats import bind_chat
from models.people import MANAGER_ROLES, Role, holders_over
from models.places import Place, PlaceKind, place_by_id, place_label, places_within

BIND_PAGE_SIZE = 8
BIND_ROLES = MANAGER_ROLES
TOLD_OF_REBINDING = (Role.BUILDING_HEAD, Role.GRID_WORKER)


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
    """Offer the buildings the sender may bind this group to (the router already checked the chat and the role); a
    bound group only to someone whose area covers its current building."""
    if ctx.place is not None and not await may_act_on(ctx, ctx.place, BIND_ROLES):
        label = await place_label(ctx.session, place=ctx.place)
        ctx.reply(ctx.t("bind.rebind_refused", place=label), quote=True)
        return
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
    page = (parse_id(parts[0]) or 0) if parts else 0
    ctx.edit_pressed(ctx.t("bind.choose"), buttons=bind_keyboard(ctx, buildings, page))
    ctx.answer()


async def chosen_building(ctx: Context, part: str) -> Place | None:
    place_id = parse_id(part)
    building = await place_by_id(ctx.session, place_id=place_id) if place_id else None
    return building if building is not None and building.kind == PlaceKind.BUILDING else None


async def may_rebind(ctx: Context, building: Place) -> bool:
    """The presser's area covers the chosen building and the group's current one."""
    current = (ctx.place,) if ctx.place is not None else ()
    return all([await may_act_on(ctx, place, BIND_ROLES) for place in (building, *current)])


async def bind_chosen(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """Bind the group to the chosen building if the presser may; moving a bound group asks first."""
    building = await chosen_building(ctx, parts[0]) if len(parts) == 1 else None
    if building is None:
        ctx.answer(ctx.t("button.stale"))
        return
    if not await may_rebind(ctx, building):
        ctx.answer(ctx.t("button.refused"), alert=True)
        return
    if ctx.place is not None and ctx.place.id != building.id:
        old, label = await place_label(ctx.session, place=ctx.place), await place_label(ctx.session, place=building)
        confirm = (
            (Button(ctx.t("button.rebind_yes"), f"bindc:{building.id}:{ctx.place.id}"),),
            (Button(ctx.t("button.rebind_no"), "bindc:x"),),
        )
        ctx.edit_pressed(ctx.t("bind.confirm_rebind", old=old, place=label), buttons=confirm)
        ctx.answer()
        return
    await bind_to(ctx, building)


async def rebind_confirmed(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """bindc:<building>:<current building> moves the group (if it is still where it was); bindc:x keeps it."""
    if parts == ["x"]:
        ctx.edit_pressed(ctx.t("bind.rebind_kept"))
        ctx.answer()
        return
    building = await chosen_building(ctx, parts[0]) if len(parts) == 2 else None
    if building is None or ctx.place is None or str(ctx.place.id) != parts[1]:
        ctx.answer(ctx.t("button.stale"))
        return
    if not await may_rebind(ctx, building):
        ctx.answer(ctx.t("button.refused"), alert=True)
        return
    old = ctx.place
    await bind_to(ctx, building)
    await tell_previous_managers(ctx, old, building)


async def bind_to(ctx: Context, building: Place) -> None:
    assert ctx.person.id is not None
    old = ctx.place
    bind_chat(ctx.chat, place=building, person_id=ctx.person.id, now=ctx.now)
    label = await place_label(ctx.session, place=building)
    text = ctx.t("bind.done", place=label)
    if old is not None and old.id != building.id:
        text = ctx.t("bind.rebound", old=await place_label(ctx.session, place=old), place=label) + "\n\n" + text
    ctx.edit_pressed(text)
    ctx.answer("✅")


async def tell_previous_managers(ctx: Context, old: Place, building: Place) -> None:
    """The building head and grid worker of the group's previous building hear, privately, who moved it where."""
    old_label, label = await place_label(ctx.session, place=old), await place_label(ctx.session, place=building)
    for person in await holders_over(ctx.session, place=old, roles=TOLD_OF_REBINDING):
        if person.id is not None and person.id != ctx.person.id:
            text = ctx.t(
                "bind.moved_notice",
                group=ctx.chat.title or ctx.chat.platform_chat_id,
                old=old_label,
                place=label,
                who=ctx.person.display_name,
            )
            await ctx.tell(person.id, text)
