"""What notices and events share: choosing where they go (社区 / 网格 / 楼栋) and reading when."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.types import Button, Keyboard, in_pairs
from models.base import AsyncSession
from models.chats import Chat, active_chats_in
from models.people import Role
from models.places import Place, PlaceKind, place_by_id, places_within
from nlp.timeparse import ParsedTime, TimeParseError, parse_time

PUBLISHERS = (Role.STAFF, Role.ADMIN, Role.GRID_WORKER)
INDENT = {PlaceKind.COMMUNITY: "", PlaceKind.GRID: "· ", PlaceKind.BUILDING: "·· "}


async def scope_options(ctx: Context) -> list[Place]:
    """Every node a publisher may address: their community or grid and everything below it."""
    found: dict[int, Place] = {}
    for grant in ctx.grants:
        if grant.role in PUBLISHERS:
            root = await place_by_id(ctx.session, place_id=grant.place_id)
            if root is not None:
                for place in await places_within(ctx.session, scope=root):
                    found[place.id or 0] = place
    return sorted(found.values(), key=lambda p: p.path)


def scope_keyboard(ctx: Context, prefix: str, item_id: int, chosen: list[int], options: list[Place]) -> Keyboard:
    """Toggle buttons `<prefix>:t:<item>:<place>`, then 下一步 `<prefix>:n:<item>` and 取消 `<prefix>:x:<item>`."""
    buttons = [
        Button(f"{'✅ ' if p.id in chosen else ''}{INDENT[PlaceKind(p.kind)]}{p.name}", f"{prefix}:t:{item_id}:{p.id}")
        for p in options
    ]
    rows = list(in_pairs(buttons))
    rows.append(
        (
            Button(ctx.t("button.next_step"), f"{prefix}:n:{item_id}"),
            Button(ctx.t("button.cancel_send"), f"{prefix}:x:{item_id}"),
        )
    )
    return tuple(rows)


async def chats_in_scope(session: AsyncSession, scope_ids: list[int]) -> list[Chat]:
    """Bound, active groups anywhere under the chosen nodes, each once."""
    places: dict[int, Place] = {}
    for place_id in scope_ids:
        root = await place_by_id(session, place_id=place_id)
        if root is not None:
            places |= {p.id or 0: p for p in await places_within(session, scope=root)}
    return await active_chats_in(session, places=list(places.values()))


async def scope_names(session: AsyncSession, scope_ids: list[int]) -> str:
    names = [p.name for p in [await place_by_id(session, place_id=i) for i in scope_ids] if p is not None]
    return "、".join(names)


def future_time(ctx: Context, text: str) -> ParsedTime | None:
    """The local time the sender typed, or None after telling them politely why it will not do."""
    local_now = ctx.now.astimezone(ctx.config.timezone)
    try:
        parsed = parse_time(text, now=local_now)
    except TimeParseError:
        ctx.reply(ctx.t("scope.bad_time"))
        return None
    if parsed.at <= local_now:
        ctx.reply(ctx.t("scope.past_time"))
        return None
    return parsed
