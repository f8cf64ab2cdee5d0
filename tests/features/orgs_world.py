"""1号楼 with its 物业, a lift contractor, a power company with nobody in chat and a 街道, for the organisation
transcripts: the tree and the organisations come from one YAML file, as an office would write it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import unit_of_work
from handlers.common.org_import import import_tree, parse_org_file
from models.people import Role
from tests.features.harness import BotUnderTest, ChatView, Participant
from tests.features.tickets_world import B1, COMMUNITY, GRID, Building, bind

TREE = """communities:
  - name: 阳光社区
    grids:
      - name: 第一网格
        buildings:
          - {name: 1号楼, units: 3}
          - {name: 2号楼, units: 2}
    organisations:
      - {name: 阳光物业, kind: 物业, phone: 0351-6000001, hours: "08:00-18:00"}
      - {name: 迅达电梯维保, kind: 维保, phone: 400-800-1234, serves: [1号楼, 2号楼]}
      - {name: 供电公司, kind: 公用事业, phone: "95598"}
      - {name: 幸福街道, kind: 街道, phone: 0351-7000000}
    routing:
      - {category: 报修, organisation: 阳光物业}
      - {category: 报修, subkind: 电梯, organisation: 迅达电梯维保}
      - {category: 报修, subkind: 电, organisation: 供电公司}
"""


@dataclass
class OrgWorld(Building):
    lift: Participant  # a member of 迅达电梯维保
    keeper: Participant  # a member of 阳光物业


async def join(bot: BotUnderTest, staff: Participant, member: Participant, org: str) -> None:
    """Staff make an invite link in chat; the member opens it."""
    office = bot.private(staff)
    await staff.says(office, f"/org invite {org}")
    link = (await office.expect_message("一次性链接")).text or ""
    code = link.rsplit("start=", 1)[1].split()[0]
    private = bot.private(member)
    await member.says(private, f"/start {code}")
    await private.expect_message("您已成为「阳光社区」的单位成员")
    await private.expect_message(f"您已加入「{org}」")


async def org_world(bot: BotUnderTest) -> OrgWorld:
    async with unit_of_work(bot.runtime.sessions) as session:
        await import_tree(session, parse_org_file("t.yaml", TREE))
    world = OrgWorld(
        group=bot.group("1号楼业主群"),
        resident=bot.person("王小明"),
        neighbour=bot.person("刘阿姨"),
        head=bot.person("李楼长"),
        volunteer=bot.person("陈志愿"),
        grid_worker=bot.person("赵网格"),
        staff=bot.person("张社工"),
        lift=bot.person("孙师傅"),
        keeper=bot.person("周物业"),
    )
    for someone in (world.resident, world.neighbour, world.head, world.grid_worker, world.staff, world.lift):
        bot.private(someone)
    bot.private(world.keeper)
    await bind(bot, world.group, B1)
    await bot.grant(world.resident, Role.RESIDENT, B1)
    await bot.grant(world.neighbour, Role.RESIDENT, B1)
    await bot.grant(world.head, Role.BUILDING_HEAD, B1)
    await bot.grant(world.grid_worker, Role.GRID_WORKER, GRID)
    await bot.grant(world.staff, Role.STAFF, COMMUNITY)
    await join(bot, world.staff, world.lift, "迅达电梯维保")
    await join(bot, world.staff, world.keeper, "阳光物业")
    return world


def chat(bot: BotUnderTest, who: Participant) -> ChatView:
    return bot.private(who)
