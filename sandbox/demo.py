"""Demo data for the sandbox: one community, a grid, two buildings, a building head and a staff member, a 物业 and
a lift contractor with one member each (and the routing that sends lift repairs to the contractor), a small
爱心超市 shelf (with its pickup place and opening hours) and some points to spend, a volunteer in a 志愿服务队
and an open 点单 to take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.common.org_import import Node, OrgEntry, RouteEntry, import_tree
from models.chats import bind_chat, ensure_chat
from models.ledger import post_entry
from models.organisations import OrgKind, add_member, organisation_by_code
from models.passbook import EntryKind
from models.people import Person, Role, ensure_person, grant_role
from models.places import Place, PlaceKind, add_place, place_by_code
from models.shop import ItemRow, items_of, save_items, set_shop_desk, shop_desk_of
from models.tickets import Category
from models.volunteers import (
    HelpRequest,
    HelpStatus,
    ProfileStatus,
    Team,
    VolunteerProfile,
    add_help_event,
    join_team,
    profile_of,
)

COMMUNITY = "阳光社区"
GRID = f"{COMMUNITY}/第一网格"
BUILDINGS = (f"{GRID}/1号楼", f"{GRID}/2号楼")


@dataclass(frozen=True)
class DemoPerson:
    platform_user_id: str
    name: str
    role: Role | None
    place_code: str | None
    started_bot: bool = True  # opened the private chat with the bot; 刘阿姨 has not, to show what reaches her


@dataclass(frozen=True)
class DemoChat:
    platform_chat_id: str
    title: str
    bound_to: str | None


DEMO_PEOPLE = (
    DemoPerson("7001001", "王小明", Role.RESIDENT, BUILDINGS[0]),
    DemoPerson("7001002", "刘阿姨", Role.RESIDENT, BUILDINGS[0], started_bot=False),
    DemoPerson("7001003", "李楼长", Role.BUILDING_HEAD, BUILDINGS[0]),
    DemoPerson("7001004", "赵网格员", Role.GRID_WORKER, GRID),
    DemoPerson("7001005", "张社工", Role.STAFF, COMMUNITY),
    DemoPerson("7001006", "周物业", Role.ORG_MEMBER, COMMUNITY),
    DemoPerson("7001007", "孙师傅", Role.ORG_MEMBER, COMMUNITY),
    DemoPerson("7001008", "陈志愿", Role.VOLUNTEER, BUILDINGS[0]),
)
DEMO_ORGANISATIONS = (
    OrgEntry("阳光物业", OrgKind.PROPERTY, f"{COMMUNITY}/阳光物业", "0351-6000001", "08:00-18:00"),
    OrgEntry("迅达电梯维保", OrgKind.MAINTENANCE, f"{COMMUNITY}/迅达电梯维保", "400-800-1234"),
    OrgEntry("幸福街道", OrgKind.STREET, f"{COMMUNITY}/幸福街道", "0351-7000000"),
)
DEMO_ROUTING = (
    RouteEntry(Category.REPAIR, "阳光物业"),
    RouteEntry(Category.SANITATION, "阳光物业"),
    RouteEntry(Category.REPAIR, "迅达电梯维保", subkind="lift"),
)
DEMO_MEMBERS = (("7001006", f"{COMMUNITY}/阳光物业"), ("7001007", f"{COMMUNITY}/迅达电梯维保"))
DEMO_SHELF = (ItemRow("理发券", 20, 30), ItemRow("洗衣液一瓶", 30, 20), ItemRow("大米 5 斤", 50, 10))
DEMO_SHOP_DESK = ("阳光社区服务中心一楼（幸福路 18 号）", "周二至周日 9:00-11:30、14:00-17:00")
DEMO_POINTS = (("7001001", 60, "扫雪志愿服务"), ("7001002", 120, "组织周六小集市"))
DEMO_CHATS = (
    DemoChat("-1001000000001", "阳光社区1号楼业主群", BUILDINGS[0]),
    DemoChat("-1001000000002", "阳光社区2号楼业主群", None),
)


def demo_tree() -> list[Node]:
    buildings = [Node(PlaceKind.BUILDING, code.rsplit("/", 1)[1], code, units=3) for code in BUILDINGS]
    grid = Node(PlaceKind.GRID, "第一网格", GRID, children=buildings)
    community = Node(PlaceKind.COMMUNITY, COMMUNITY, COMMUNITY, children=[grid])
    community.organisations, community.routing = list(DEMO_ORGANISATIONS), list(DEMO_ROUTING)
    return [community]


async def seed_demo(session: AsyncSession, *, platform: str, now: datetime) -> None:
    """Create the demo tree, people and group bindings; running it again changes nothing."""
    await import_tree(session, demo_tree())
    for who in DEMO_PEOPLE:
        person = await ensure_person(
            session, platform=platform, platform_user_id=who.platform_user_id, display_name=who.name, username=None
        )
        place = await place_by_code(session, code=who.place_code) if who.place_code else None
        if who.role and place and person.id is not None:
            await grant_role(session, person_id=person.id, role=who.role, place=place, granted_by_id=None)
    await seed_members(session, platform=platform, now=now)
    staff = await ensure_person(
        session, platform=platform, platform_user_id="7001005", display_name="张社工", username=None
    )
    await seed_passbook(session, platform=platform, staff=staff, now=now)
    await seed_volunteers(session, platform=platform, staff=staff, now=now)
    for demo_chat in DEMO_CHATS:
        if demo_chat.bound_to is None:
            continue
        chat = await ensure_chat(
            session,
            platform=platform,
            platform_chat_id=demo_chat.platform_chat_id,
            kind="group",
            title=demo_chat.title,
        )
        chat.can_read_all = True
        building = await place_by_code(session, code=demo_chat.bound_to) if demo_chat.bound_to else None
        if building is not None and chat.place_id is None and staff.id is not None:
            bind_chat(chat, place=building, person_id=staff.id, now=now)


async def seed_members(session: AsyncSession, *, platform: str, now: datetime) -> None:
    """周物业 acts for 阳光物业, 孙师傅 for the lift contractor."""
    for user_id, code in DEMO_MEMBERS:
        person = await ensure_person(
            session, platform=platform, platform_user_id=user_id, display_name="", username=None
        )
        org = await organisation_by_code(session, code=code)
        if org is not None and person.id is not None:
            await add_member(session, organisation_id=org.id or 0, person_id=person.id, now=now)


async def seed_passbook(session: AsyncSession, *, platform: str, staff: Person, now: datetime) -> None:
    """A shelf in the demo community's 爱心超市 with its pickup place and opening hours, and points for two residents
    (once: the entries have keys)."""
    community = await place_by_code(session, code=COMMUNITY)
    assert community is not None and community.id is not None
    if not await items_of(session, community_id=community.id):
        await save_items(session, community_id=community.id, rows=DEMO_SHELF, now=now)
    if await shop_desk_of(session, community_id=community.id) is None:
        address, hours = DEMO_SHOP_DESK
        await set_shop_desk(session, community_id=community.id, address=address, hours=hours, now=now)
    for user_id, points, reason in DEMO_POINTS:
        person = await ensure_person(
            session, platform=platform, platform_user_id=user_id, display_name="", username=None
        )
        await post_entry(
            session,
            person_id=person.id or 0,
            delta=points,
            kind=EntryKind.AWARD,
            reason=reason,
            source="manual",
            source_id=None,
            actor_id=staff.id,
            idempotency_key=f"demo:{user_id}",
            now=now,
            community_id=community.id,
        )


async def seed_volunteers(session: AsyncSession, *, platform: str, staff: Person, now: datetime) -> None:
    """陈志愿 approved (跑腿, 陪伴) and leading 助老服务队; 王小明's open 点单 (帮忙买菜, 明天) waiting for 待接单."""
    community, building = await place_by_code(session, code=COMMUNITY), await place_by_code(session, code=BUILDINGS[0])
    assert community is not None and building is not None
    volunteer = await ensure_person(
        session, platform=platform, platform_user_id="7001008", display_name="", username=None
    )
    resident = await ensure_person(
        session, platform=platform, platform_user_id="7001001", display_name="", username=None
    )
    if await profile_of(session, person_id=volunteer.id or 0) is not None:
        return
    session.add(
        VolunteerProfile(
            person_id=volunteer.id or 0,
            skills=["errand", "company"],
            availability="周末全天",
            area_id=building.id,
            home_id=building.id,
            status=ProfileStatus.APPROVED,
            decided_by_id=staff.id,
            updated_at=now,
        )
    )
    team = Team(
        community_id=community.id or 0, name="助老服务队", skill="company", leader_id=volunteer.id, created_at=now
    )
    session.add(team)
    await session.flush()
    await join_team(session, team_id=team.id or 0, person_id=volunteer.id or 0, now=now)
    request = HelpRequest(
        community_id=community.id or 0,
        building_id=building.id or 0,
        requester_id=resident.id or 0,
        text="帮忙买菜",
        contact="1单元201",
        skill="errand",
        when="tomorrow",
        status=HelpStatus.OPEN,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    for action in ("asked", "posted"):
        add_help_event(session, request=request, actor_id=resident.id, action=action, now=now)


async def seed_bound_buildings(
    session: AsyncSession, *, platform: str, group_chat_ids: list[str], now: datetime
) -> tuple[Person, Place]:
    """A community whose grid has one building per group id, each group bound to it, and a staff member.

    For load tests and benchmarks: returns (staff, community).
    """
    staff = await ensure_person(session, platform=platform, platform_user_id="1", display_name="张社工", username=None)
    community = await add_place(session, kind=PlaceKind.COMMUNITY, name="压测社区", code="load", parent=None)
    await grant_role(session, person_id=staff.id or 0, role=Role.STAFF, place=community, granted_by_id=None)
    grid = await add_place(session, kind=PlaceKind.GRID, name="网格", code="load/g", parent=community)
    for n, chat_id in enumerate(group_chat_ids):
        building = await add_place(session, kind=PlaceKind.BUILDING, name=f"{n}号楼", code=f"load/g/{n}", parent=grid)
        chat = await ensure_chat(session, platform=platform, platform_chat_id=chat_id, kind="group", title=f"{n}号楼")
        bind_chat(chat, place=building, person_id=staff.id, now=now)
    return staff, community
