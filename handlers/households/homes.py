"""门牌 3单元302 (create), 加入户 CODE (join), 我的户 (members, points, stars), 文明户 (staff: ranking + CSV)."""

from __future__ import annotations

from handlers.common.roles import home_building, may_act_on
from handlers.common.sheets import Cell, Sheet, to_csv
from handlers.core.context import Context
from handlers.core.types import IncomingMessage, SendDocument
from handlers.households.rules import HouseholdConfig, normal_door, star_level, stars_text
from handlers.households.texts import COLUMNS
from models.households import (
    Household,
    create_household,
    household_at,
    household_by_code,
    household_of,
    household_points,
    households_in,
    join_household,
    member_ids,
)
from models.people import Role, person_by_id
from models.places import Place, place_by_id

OFFICE = (Role.STAFF, Role.ADMIN)
SHOWN = 10


async def door_command(ctx: Context, message: IncomingMessage) -> None:
    """门牌 3单元302: register the sender's household in their building (or say how to join it)."""
    door = normal_door(message.args)
    building = await home_building(ctx)
    if door is None:
        ctx.reply(ctx.t("home.door_usage"))
        return
    if building is None:
        ctx.reply(ctx.t("home.no_building"))
        return
    found = await household_at(ctx.session, building_id=building.id or 0, door=door)
    if found is not None:
        mine = ctx.person.id in await member_ids(ctx.session, household_id=found.id or 0)
        ctx.reply(ctx.t("home.yours" if mine else "home.taken", home=f"{building.name} {door}"))
        return
    community = int(building.path.strip("/").split("/")[0])
    household = await create_household(
        ctx.session,
        community_id=community,
        building_id=building.id or 0,
        door=door,
        person_id=ctx.person.id or 0,
        now=ctx.now,
    )
    ctx.reply(ctx.t("home.created", home=f"{building.name} {door}", code=household.code))


async def join_command(ctx: Context, message: IncomingMessage) -> None:
    """加入户 K7P2Q9."""
    household = await household_by_code(ctx.session, code=message.args.strip()) if message.args.strip() else None
    if household is None:
        ctx.reply(ctx.t("home.bad_code"))
        return
    await join_household(ctx.session, household_id=household.id or 0, person_id=ctx.person.id or 0, now=ctx.now)
    ctx.reply(ctx.t("home.joined", home=await home_name(ctx, household)))


async def home_name(ctx: Context, household: Household) -> str:
    building = await place_by_id(ctx.session, place_id=household.building_id)
    return f"{building.name if building else '?'} {household.door}"


async def my_home(ctx: Context, message: IncomingMessage) -> None:
    """我的户: the household's members, the points they earned for it, its stars."""
    household = await household_of(ctx.session, person_id=ctx.person.id or 0)
    if household is None:
        ctx.reply(ctx.t("home.none"))
        return
    points = (await household_points(ctx.session, household_ids=[household.id or 0]))[household.id or 0]
    level = star_level(points, ctx.setting(HouseholdConfig).stars)
    names = [
        await name_of(ctx, person_id) for person_id in await member_ids(ctx.session, household_id=household.id or 0)
    ]
    ctx.reply(
        ctx.t(
            "home.card",
            home=await home_name(ctx, household),
            members="、".join(names),
            points=points,
            stars=stars_text(level),
            code=household.code,
        )
    )


async def name_of(ctx: Context, person_id: int) -> str:
    person = await person_by_id(ctx.session, person_id=person_id)
    return person.display_name if person else "?"


async def office_community(ctx: Context) -> Place | None:
    for grant in ctx.grants:
        if grant.role in OFFICE:
            return await place_by_id(ctx.session, place_id=grant.place_id)
    return None


async def home_stars(ctx: Context, message: IncomingMessage) -> None:
    """文明户: the community's households by points with their stars, and the whole list as a CSV file."""
    community = await office_community(ctx)
    if community is None or not await may_act_on(ctx, community, OFFICE):
        ctx.reply(ctx.t("home.staff_only"))
        return
    households = await households_in(ctx.session, community_id=community.id or 0)
    if not households:
        ctx.reply(ctx.t("home.none_in", community=community.name))
        return
    points = await household_points(ctx.session, household_ids=[h.id or 0 for h in households])
    ranked = sorted(households, key=lambda h: (-points[h.id or 0], h.building_id, h.door))
    thresholds = ctx.setting(HouseholdConfig).stars
    rows: list[list[Cell]] = []
    lines = []
    for rank, household in enumerate(ranked, start=1):
        name, total = await home_name(ctx, household), points[household.id or 0]
        stars = stars_text(star_level(total, thresholds))
        members = "、".join(
            [await name_of(ctx, p) for p in await member_ids(ctx.session, household_id=household.id or 0)]
        )
        rows.append([rank, name, members, total, stars])
        if rank <= SHOWN:
            lines.append(ctx.t("home.rank_line", rank=rank, home=name, points=total, stars=stars))
    ctx.reply(ctx.t("home.ranking", community=community.name, count=len(ranked), lines="\n".join(lines)))
    caption = ctx.t("home.caption", community=community.name)
    ctx.effects.add(
        SendDocument(
            platform=ctx.platform,
            chat_id=ctx.incoming.chat.platform_chat_id,
            filename=ctx.t("home.filename", community=community.name),
            content=to_csv(Sheet(caption, [ctx.t(f"home.col_{c}") for c in COLUMNS], rows)),
            caption=caption,
        )
    )
