"""1号楼 with its 物业, a lift contractor, a power company with nobody in chat and a 街道, for the organisation
transcripts: the tree and the organisations come from one YAML file, as an office would write it."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.state import StoredMessage
from tests.features.harness import BotUnderTest, Participant
from tests.features.tickets_world import Building, building

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
    """Staff make an invite link in chat; the member opens it, and staff hear it was accepted."""
    office = bot.private(staff)
    await staff.says(office, f"/org invite {org}")
    link = (await office.expect_message("一次性链接")).text or ""
    code = link.rsplit("start=", 1)[1].split()[0]
    private = bot.private(member)
    await member.says(private, f"/start {code}")
    await private.expect_message("您已成为「阳光社区」的单位成员")
    await private.expect_message(f"您已加入「{org}」")
    await office.expect_message(f"{member.user.display_name} 已接受邀请，成为「单位成员 · 阳光社区」")


async def org_world(bot: BotUnderTest) -> OrgWorld:
    """The ticket world's building with these organisations, and a member each for the lift contractor and 物业."""
    base = await building(bot, TREE)
    world = OrgWorld(**vars(base), lift=bot.person("孙师傅"), keeper=bot.person("周物业"))
    await join(bot, world.staff, world.lift, "迅达电梯维保")
    await join(bot, world.staff, world.keeper, "阳光物业")
    return world


async def confirmed(w: Building, report: str, shows: str) -> StoredMessage:
    """A resident reports in the group and the building head confirms: the card once it shows `shows`."""
    await w.resident.says(w.group, report)
    card = await w.group.expect_message("工单 #")
    await w.head.presses(w.group, card, "确认")
    return await w.group.expect_edit(shows)


async def dispatched(bot: BotUnderTest, w: Building, report: str, org: str, member: Participant) -> StoredMessage:
    """Reported, confirmed and dispatched in one press to the organisation routing suggests: the job as the
    organisation's member got it."""
    card = await confirmed(w, report, f"建议派给：{org}")
    await w.head.presses(w.group, card, f"派单给 {org}")
    return await bot.private(member).expect_message(f"{org} 新派单：工单 #")


async def asked_for_a_hold(bot: BotUnderTest, w: OrgWorld, job: StoredMessage) -> None:
    """The lift contractor's member accepts the job and presses 申请挂账: the bot asks for the reason and date."""
    lift = bot.private(w.lift)
    await w.lift.presses(lift, job, "接单")
    accepted = await lift.expect_edit("已接单 #1")
    await lift.expect_message("您有新的派单：工单 #1")
    await w.lift.presses(lift, accepted, "申请挂账")
    await lift.expect_message("请回复挂账原因和预计日期")
