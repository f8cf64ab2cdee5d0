"""Group life: greeting on join, /bind to a building, going inactive on removal, residents by speaking."""

from __future__ import annotations

from handlers.common.roles import may_act_on
from handlers.core.context import Context
from handlers.core.router import Command, Router
from handlers.core.types import (
    BotMembership,
    Button,
    ChatMoved,
    IncomingCallback,
    IncomingMessage,
    Keyboard,
    MembershipStatus,
)
from models.chats import bind_chat, move_chat
from models.people import MANAGER_ROLES, Role, active_grants, grant_role
from models.places import Place, PlaceKind, place_by_id, place_label, places_within

BIND_PAGE_SIZE = 8
BIND_ROLES = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STAFF, Role.ADMIN)


async def on_membership(ctx: Context, change: BotMembership) -> None:
    """Greet on join and explain privacy mode; remember removal so nothing is sent there again."""
    if change.status is MembershipStatus.REMOVED:
        ctx.chat.active = False
        return
    was_reading = bool(ctx.chat.can_read_all)
    ctx.chat.active, ctx.chat.can_read_all = True, change.can_read_all
    if change.status is MembershipStatus.ADDED:
        ctx.reply(ctx.t("group.greeting"))
        if not change.can_read_all:
            ctx.reply(ctx.t("group.privacy"))
    elif change.can_read_all and not was_reading:
        ctx.reply(ctx.t("group.promoted"))


async def on_moved(ctx: Context, moved: ChatMoved) -> None:
    """A basic group upgraded to a supergroup: keep its binding under the new id."""
    await move_chat(ctx.session, chat=ctx.chat, new_platform_chat_id=moved.new_chat_id)


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
    """Offer the buildings the sender may bind this group to."""
    if not ctx.in_group:
        ctx.reply(ctx.t("bind.only_group"))
        return
    buildings = await bindable_buildings(ctx)
    if not buildings:
        has_manager_role = any(g.role in BIND_ROLES for g in ctx.grants)
        ctx.reply(ctx.t("bind.no_buildings" if has_manager_role else "bind.refused"), quote=True)
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


async def register_resident(ctx: Context, message: IncomingMessage) -> None:
    """Someone speaking in a bound building group is a resident of that building."""
    if not ctx.in_group or ctx.place is None or ctx.place.kind != PlaceKind.BUILDING:
        return
    if any(g.place_id == ctx.place.id for g in ctx.grants):
        return
    assert ctx.person.id is not None
    await grant_role(ctx.session, person_id=ctx.person.id, role=Role.RESIDENT, place=ctx.place, granted_by_id=None)
    ctx.grants[:] = await active_grants(ctx.session, person_id=ctx.person.id)


def register(router: Router) -> None:
    router.membership.append(on_membership)
    router.moved.append(on_moved)
    router.before_message.append(register_resident)
    router.add_commands(
        [Command("bind", bind, "cmd.bind", aliases=("绑定", "绑定楼栋"), roles=frozenset(MANAGER_ROLES))]
    )
    router.add_callbacks({"bind": bind_chosen, "bindp": bind_page})
